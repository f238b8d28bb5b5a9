"""Studies: one TOML file names an equation, learners, seeds and a sweep; ``run_study`` runs and gathers it.

    sciml run study.toml                      # or validation.run_study("study.toml")
    sciml report --study results/<name>/<name>.nc

See :mod:`validation.studies.config` for the file format and
:mod:`validation.studies.runner` for the output folder.
"""

from validation.studies.config import Axis, LearnerEntry, Study, StudyError, parse_study
from validation.studies.runner import load_study, run_study

__all__ = ["Axis", "LearnerEntry", "Study", "StudyError", "load_study", "parse_study", "run_study"]
