import torch.nn.functional as F


def semantic_similarity_loss(similarity, labels, eps=1e-4):
    """Semantic similarity loss: BCE(cos, y) averaged over images and classes.

    Args:
        similarity (Tensor): (B, K) cosines in [0, 1] (both sides are >= 0).
        labels (Tensor): (B, K) multi-hot, background (index 0) = 1.
        eps (float): cosines are clamped to [eps, 1 - eps], so a cosine of exactly
            0 or 1 gives a finite loss.
    """
    return F.binary_cross_entropy(similarity.clamp(eps, 1 - eps), labels.float())
