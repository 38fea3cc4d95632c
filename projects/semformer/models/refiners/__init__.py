from .boundary_random_walk import BoundaryRandomWalk
from .dense_crf import DenseCRF
from .par import PAR
from .random_walk import RandomWalk

__all__ = ['BoundaryRandomWalk', 'DenseCRF', 'PAR', 'RandomWalk']
