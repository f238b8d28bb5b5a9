"""Learners against classical references: ``compare``, metrics, export, figures, CLI."""

from validation.compare import compare
from validation.export import to_netcdf, to_vtu, to_xdmf
from validation.metrics import max_error, relative_l2, rmse
from validation.operator_compare import compare_operator
from validation.plots import comparison_figure, save_figure

__all__ = ["compare", "compare_operator", "comparison_figure", "max_error", "relative_l2", "rmse", "save_figure",
           "to_netcdf", "to_vtu", "to_xdmf"]
