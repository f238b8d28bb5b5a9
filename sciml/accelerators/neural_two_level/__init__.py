"""Neural two-level preconditioner: Gauss--Seidel plus a multiscale network's smooth correction, in flexible CG."""
