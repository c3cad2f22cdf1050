/* Choosing OpenBLAS's kernels for this CPU, for the programs (not the library).
 *
 * OpenBLAS 0.3.21 (Debian 12) runs AMD Zen 4 CPUs with its Haswell (AVX2) kernels,
 * although they have AVX-512; its SkylakeX kernels run sgemm about 1.7x faster there
 * (bench_policy: 105 -> 180 GFLOP/s per core on the 64x64 layers). OpenBLAS picks its
 * kernels once, when it is loaded, from $OPENBLAS_CORETYPE; so a program calls this first
 * thing in main: on a CPU with AVX-512 that OpenBLAS runs with Haswell or Zen kernels, it
 * sets OPENBLAS_CORETYPE=SkylakeX and executes itself again. It does nothing when the
 * user has set OPENBLAS_CORETYPE (any value; "Haswell" keeps the default kernels) or
 * when re-executing fails. */
#ifndef MAML_CMD_BLAS_KERNELS_H
#define MAML_CMD_BLAS_KERNELS_H

void cmd_select_blas_kernels(char **argv);

#endif
