/* loss.h - cross-entropy over logit rows with integer targets (-1: row not counted), and
 * the targets of each training objective. */
#ifndef NS_LOSS_H
#define NS_LOSS_H

/* mean over counted rows of -log softmax(logits[r])[target[r]]; dlogits = its gradient
 * (softmax - onehot) / count, 0 on uncounted rows (dlogits may be NULL). */
double cross_entropy(const double *logits, const int *target, int rows, int V, double *dlogits);
/* next-token targets: target[s T + t] = tok[s T + t + 1], -1 at each sequence's last row */
void targets_next_token(const int *tok, int B, int T, int *target);

#endif
