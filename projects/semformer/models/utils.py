"""Helpers shared by the models."""
from typing import Optional


def check_pretrained(pretrained: Optional[str], owner: str) -> None:
    """Accept mmseg's legacy ``pretrained`` argument of ``EncoderDecoder`` as None.

    ``mmseg.apis.init_model`` (and so ``inference_model`` and ``MMSegInferencer``)
    sets ``model.pretrained = None`` on every config before building it; the models
    of this package take the argument so that they build there. Their backbones load
    weights through ``init_cfg`` only.

    Args:
        pretrained (str | None): must be None.
        owner (str): the model's name, for the error.

    Raises:
        ValueError: if ``pretrained`` is a checkpoint.
    """
    if pretrained is not None:
        raise ValueError(
            f'{owner} does not take `pretrained` ({pretrained!r}); load the backbone '
            "with backbone.init_cfg=dict(type='Pretrained', checkpoint=...) instead")
