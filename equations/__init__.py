"""What is solved: equation specs, their domains and conditions, and a registry by name.

>>> from equations import Burgers, create
>>> create("burgers", nu=0.01).nu
0.01
"""

from equations.burgers import Burgers
from equations.cavity import LidDrivenCavity
from equations.convection import Convection
from equations.core import (
    EQUATIONS,
    DirichletCondition,
    Domain,
    Equation,
    InitialCondition,
    InitialVelocityCondition,
    Jet,
    NeumannCondition,
    OnPlane,
    PeriodicCondition,
    RobinCondition,
    TimeInterval,
    Variable,
    create,
    register_names,
)
from equations.darcy import Darcy
from equations.diffusion_reaction import DiffusionReaction
from equations.errors import (
    InvalidDataError,
    InvalidParameterError,
    ToolkitError,
    TrainingDivergedError,
    UnknownNameError,
)
from equations.evolution import AllenCahn, Heat, Reaction, ReactionDiffusion
from equations.families import FAMILIES, Family
from equations.flow_mixing import FlowMixing
from equations.geometry import Box, Geometry, Polygon
from equations.gray_scott import GrayScott
from equations.helmholtz import Helmholtz
from equations.klein_gordon import KleinGordon
from equations.nonlinear_diffusion import NonlinearDiffusion
from equations.odes import Antiderivative, Hypergeometric, Legendre, Pendulum
from equations.periodic_burgers import PeriodicBurgers
from equations.poisson import LShapePoisson, PeakPoisson, Poisson2D, Poisson3D
from equations.poisson_peak_nd import PeakPoissonND
from equations.pressure_poisson import PressurePoisson
from equations.registry import PluginWarning, Registry
from equations.schrodinger import NonlinearSchrodinger
from equations.wave import Wave

available = register_names

__all__ = [
    "EQUATIONS",
    "FAMILIES",
    "AllenCahn",
    "Antiderivative",
    "Box",
    "Burgers",
    "Convection",
    "Darcy",
    "DiffusionReaction",
    "DirichletCondition",
    "Domain",
    "Equation",
    "Family",
    "FlowMixing",
    "Geometry",
    "GrayScott",
    "Heat",
    "Helmholtz",
    "Hypergeometric",
    "InitialCondition",
    "InitialVelocityCondition",
    "InvalidDataError",
    "InvalidParameterError",
    "Jet",
    "KleinGordon",
    "LShapePoisson",
    "Legendre",
    "LidDrivenCavity",
    "NeumannCondition",
    "NonlinearDiffusion",
    "NonlinearSchrodinger",
    "OnPlane",
    "PeakPoisson",
    "PeakPoissonND",
    "Pendulum",
    "PeriodicBurgers",
    "PeriodicCondition",
    "PluginWarning",
    "Poisson2D",
    "Poisson3D",
    "Polygon",
    "PressurePoisson",
    "Reaction",
    "ReactionDiffusion",
    "Registry",
    "RobinCondition",
    "TimeInterval",
    "ToolkitError",
    "TrainingDivergedError",
    "UnknownNameError",
    "Variable",
    "Wave",
    "available",
    "create",
]
