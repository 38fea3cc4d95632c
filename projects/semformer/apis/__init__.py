from .pipeline import PipelineRunner, Stage, StageFailed, add_warm_argument
from .report import markdown_table, write_table

__all__ = [
    'PipelineRunner', 'Stage', 'StageFailed', 'add_warm_argument', 'markdown_table',
    'write_table'
]
