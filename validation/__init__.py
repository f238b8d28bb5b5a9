"""Learners against classical references: ``compare``, metrics, export, figures, CLI."""

from validation.compare import compare
from validation.export import to_netcdf, to_vtu, to_xdmf
from validation.metrics import max_error, relative_l2, rmse
from validation.operator_compare import compare_operator
from validation.plots import comparison_figure, save_figure
from validation.studies import load_study, run_study

__all__ = ["compare", "compare_operator", "comparison_figure", "load_study", "max_error", "relative_l2", "rmse",
           "run_study", "save_figure", "to_netcdf", "to_vtu", "to_xdmf"]
