from .pipeline import PipelineRunner, Stage, StageFailed
from .report import markdown_table, write_table

__all__ = ['PipelineRunner', 'Stage', 'StageFailed', 'markdown_table', 'write_table']
