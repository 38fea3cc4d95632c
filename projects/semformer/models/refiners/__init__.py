from .dense_crf import DenseCRF
from .par import PAR
from .random_walk import RandomWalk

__all__ = ['DenseCRF', 'PAR', 'RandomWalk']
