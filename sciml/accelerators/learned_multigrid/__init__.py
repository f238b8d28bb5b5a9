"""Learned multigrid: a network that sets the prolongation of a Galerkin multigrid once per system."""
