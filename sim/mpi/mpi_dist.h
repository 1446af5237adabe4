/* mpi_dist.h - normsim-mpi's layer over MPI: fills sim/base/dist.h's table with
 * MPI_COMM_WORLD point-to-point messages and MPI_Abort. Compiled only into
 * build/normsim-mpi (with mpicc); nothing below sim/cli knows about MPI. */
#ifndef NS_MPI_DIST_H
#define NS_MPI_DIST_H

/* MPI_Init and ns_dist_set; NS_OK or NS_ERUN (message printed) */
int mpi_begin(int *argc, char ***argv);
/* MPI_Finalize */
void mpi_end(void);

#endif
