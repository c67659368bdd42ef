/**
 * Small dense float64 linear algebra on the host: {@link eoslab.linalg.DenseMatrix},
 * {@link eoslab.linalg.SymmetricEigen} (Householder tridiagonalization + implicit QL) and
 * {@link eoslab.linalg.SymmetricTridiagonal} (implicit QL, Golub–Welsch quadrature). Used for the
 * projected problems of the Krylov solvers and for exact eigenvalues of small Hessians.
 */
package eoslab.linalg;
