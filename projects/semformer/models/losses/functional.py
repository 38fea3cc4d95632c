import torch
import torch.nn.functional as F


def semantic_similarity_loss(similarity, labels, eps=1e-4):
    """Semantic similarity loss: BCE(cos, y) averaged over images and classes.

    Args:
        similarity (Tensor): (B, K) cosines in [0, 1] (both sides are >= 0).
        labels (Tensor): (B, K) multi-hot, background (index 0) = 1.
        eps (float): cosines are clamped to [eps, 1 - eps], so a cosine of exactly
            0 or 1 gives a finite loss.
    """
    return F.binary_cross_entropy(similarity.clamp(eps, 1 - eps), labels.to(similarity.dtype))


def pair_cosine(embeddings, semantics):
    """cos(E_c, S_c) for every row and class: (N, K, D) x (K, D) -> (N, K).

    Clamped to [-1 + 1e-4, 1 - 1e-4] as in the authors' code.
    """
    cos = F.cosine_similarity(embeddings, semantics.expand_as(embeddings), dim=-1, eps=1e-8)
    return cos.clamp(-1 + 1e-4, 1 - 1e-4)


def class_contrast_loss(cos, pull, push):
    """((1 - mean cos over pull) + mean cos over push) / 2; an empty set adds 0.

    The class-foreground loss uses the pair's own class as ``pull`` and the other
    present classes as ``push``; the class-background loss swaps the two.

    Args:
        cos (Tensor): (S, K) cosines of the S pair images' embeddings with S_k.
        pull, push (Tensor): (S, K) bool masks.
    """
    pull, push = pull.to(cos.dtype), push.to(cos.dtype)
    n_pull, n_push = pull.sum(), push.sum()
    pull_term = (n_pull - (cos * pull).sum()) / n_pull.clamp(min=1)
    push_term = (cos * push).sum() / n_push.clamp(min=1)
    return (pull_term + push_term) / 2


def activation_suppression_loss(masks, form='public'):
    """L_AS on activation maps (B, K, H, W), background = channel 0.

    ``'public'`` (authors' code): mean(M[:, 1:]) + 1 - mean(M[:, 0]) suppresses
    the object channels and raises the background; ``'paper'``: mean(M).
    """
    if form == 'public':
        return masks[:, 1:].mean() + 1 - masks[:, 0].mean()
    if form == 'paper':
        return masks.mean()
    raise ValueError(f"activation suppression form must be 'public' or 'paper', not {form!r}")


def activation_complementation_loss(masks, labels, valid=None):
    """L_AC: mean over counted pixels of (M_c + max_{c' != c} M_c' - 1)^2.

    Counted: every present class c (background included) of an image with another
    present class, at the image's valid pixels. Vectorised over images and classes.

    Args:
        masks (Tensor): (B, K, H, W) activation maps in [0, 1].
        labels (Tensor): (B, K) multi-hot.
        valid (Tensor | None): (B, 1, H, W) 1 inside the un-padded crop.

    Returns:
        Tensor: scalar, 0 when nothing is counted.
    """
    present = labels > 0
    qualify = present & (present.sum(1, keepdim=True) > 1)  # (B, K)
    # absent classes set to 0 never exceed a present one, since M >= 0
    ranked, index = masks.masked_fill(~present[..., None, None], 0).topk(2, dim=1)
    classes = torch.arange(masks.shape[1], device=masks.device)[None, :, None, None]
    others = torch.where(index[:, :1] == classes, ranked[:, 1:], ranked[:, :1])
    counted = qualify[..., None, None].to(masks.dtype)
    if valid is not None:
        counted = counted * valid.to(masks.dtype)
    counted = counted.expand_as(masks)
    return ((masks + others - 1)**2 * counted).sum() / counted.sum().clamp(min=1)


def present_pairs(labels):
    """The (image, present class) pairs of a batch, background included.

    Args:
        labels (Tensor): (B, K) multi-hot.

    Returns:
        tuple: image index (S,), class index (S,), ``pull`` (S, K) one-hot of the
        pair's class and ``push`` (S, K) the other classes present in its image,
        both bool. Pairs are image-major, then by class, as in the authors' code.
    """
    present = labels > 0
    images, classes = present.nonzero(as_tuple=True)
    pull = F.one_hot(classes, labels.shape[1]).bool()
    return images, classes, pull, present[images] & ~pull
