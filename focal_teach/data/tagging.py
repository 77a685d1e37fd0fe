"""Token classification with rare tags: padded sequences of a synthetic language (notebook 05)."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from focal_teach._checks import check_int, check_seed
from focal_teach.data.split import Split

__all__ = [
    "rare_tag_sequences",
    "most_likely_tags",
    "render_sequence",
    "AMBIGUOUS_TAG_PROBABILITY",
    "PAD",
    "IGNORE_INDEX",
    "TAGS",
]

PAD = 0
"""Token id of padding in :func:`rare_tag_sequences`' inputs."""

IGNORE_INDEX = -100
"""Label of padded positions: ``F.cross_entropy``'s and ``focal_loss``'s default ``ignore_index``."""

TAGS = ("O", "NAME", "PLACE", "DATE")
"""Tag names of :func:`rare_tag_sequences`: ``O`` (outside any entity) and three rare tags."""

# The synthetic language: token ids 1-3 are "trigger" words, one per rare tag (think "mr", "in",
# "on"); 4-9 are modifiers that may stand between a trigger and its entity ("the", "old");
# 10-29 are entity words, shared by all tags; the rest are filler words. An entity word takes a
# rare tag only after its tag's trigger (possibly with one modifier in between): the tag is
# decided by context, and the same word elsewhere is O. Entity words 20-29 are ambiguous: even
# after a trigger they carry the tag only with probability AMBIGUOUS_TAG_PROBABILITY (think of
# "in may": a date, or a verb), so no tagger can get them all right. Trigger id k is tag k.
_TRIGGERS = np.arange(1, 4)
_MODIFIERS = np.arange(4, 10)
_ENTITIES = np.arange(10, 30)
_AMBIGUOUS = np.arange(20, 30)
_FIRST_FILLER = 30
AMBIGUOUS_TAG_PROBABILITY = 0.4
"""In :func:`rare_tag_sequences`, the chance that an ambiguous entity word after a trigger is tagged."""


def rare_tag_sequences(
    n_train: int = 1000,
    n_test: int = 2000,
    min_len: int = 5,
    max_len: int = 40,
    vocab_size: int = 100,
    entity_rates: tuple[float, float, float] = (0.03, 0.015, 0.005),
    seed: int = 0,
) -> Split:
    """Variable-length token sequences to tag, where three of the four tags are rare, padded to one length.

    A synthetic language (the source's comments give the token ids): an *entity word* is tagged
    NAME, PLACE or DATE when that tag's trigger word comes just before it, or two positions
    before with a modifier in between; anywhere else it is O, as are all other words. Entity
    words and triggers also occur on their own, so neither a word nor its neighbour alone
    decides the tag. Half of the entity words are ambiguous: after a trigger they carry the tag
    only with probability ``AMBIGUOUS_TAG_PROBABILITY`` (0.4), otherwise O, so even the best
    tagger (:func:`most_likely_tags`) makes mistakes. Filler words follow a Zipf law.

    Args:
        n_train, n_test: number of sequences.
        min_len, max_len: lengths are uniform in ``[min_len, max_len]``; every sequence is padded
            to ``max_len``.
        vocab_size: number of token ids, padding (0) included; ≥ 40.
        entity_rates: chance that a NAME, PLACE or DATE entity starts at each position. With the
            defaults about 1.8 %, 1.0 % and 0.4 % of the tokens carry these tags (entities
            near a sequence's end are dropped, and ambiguous ones are often O).
        seed: the same seed gives the same tensors.

    Returns:
        :class:`Split` with ``x`` long ``[n, max_len]`` token ids (``PAD`` = 0 after each
        sequence's end) and ``y`` long ``[n, max_len]`` tag indices into ``TAGS``, with
        ``IGNORE_INDEX`` (−100) at padded positions.
    """
    n_train = check_int(n_train, "n_train", 1)
    n_test = check_int(n_test, "n_test", 1)
    min_len = check_int(min_len, "min_len", 3)
    max_len = check_int(max_len, "max_len", min_len)
    vocab_size = check_int(vocab_size, "vocab_size", _FIRST_FILLER + 10)
    rates = np.asarray(entity_rates, dtype=float)
    if rates.shape != (3,) or not np.all(np.isfinite(rates)) or (rates < 0).any() or rates.sum() >= 0.3:
        raise ValueError(
            f"entity_rates must be three rates ≥ 0 (NAME, PLACE, DATE) summing to less than 0.3; got {entity_rates!r}"
        )
    rng = np.random.default_rng(check_seed(seed))
    fillers = np.arange(_FIRST_FILLER, vocab_size)
    zipf = 1.0 / np.arange(1, len(fillers) + 1)
    zipf /= zipf.sum()
    position = np.arange(max_len)

    def draw(n: int) -> tuple[Tensor, Tensor]:
        lengths = rng.integers(min_len, max_len + 1, size=n)
        inside = position < lengths[:, None]
        x = rng.choice(fillers, size=(n, max_len), p=zipf)
        # Distractors: entity words and triggers that carry no tag.
        spots = rng.random((n, max_len)) < 0.05
        x[spots] = rng.choice(_ENTITIES, size=int(spots.sum()))
        for trigger in _TRIGGERS:
            x[rng.random((n, max_len)) < 0.01] = trigger
        # Entities: "trigger [modifier] entity", starting at each position with its tag's rate.
        for trigger, rate in zip(_TRIGGERS, rates):
            gap = rng.integers(0, 2, size=(n, max_len))
            starts = (rng.random((n, max_len)) < rate) & (position + 1 + gap < lengths[:, None])
            i, t = np.nonzero(starts)
            g = gap[i, t]
            x[i, t] = trigger
            x[i[g == 1], t[g == 1] + 1] = rng.choice(_MODIFIERS, size=int((g == 1).sum()))
            x[i, t + 1 + g] = rng.choice(_ENTITIES, size=len(i))
        x[~inside] = PAD
        y = _rule_tags(x)
        untagged = np.isin(x, _AMBIGUOUS) & (y > 0) & (rng.random((n, max_len)) >= AMBIGUOUS_TAG_PROBABILITY)
        y[untagged] = 0
        y[~inside] = IGNORE_INDEX
        return torch.from_numpy(x), torch.from_numpy(y)

    x_train, y_train = draw(n_train)
    x_test, y_test = draw(n_test)
    return Split(x_train, y_train, x_test, y_test, TAGS)


def _rule_tags(x: np.ndarray) -> np.ndarray:
    """The language's rule on ``[n, T]`` token ids: an entity word takes the tag of the trigger 1
    position before it, or 2 positions before across a modifier; everything else is O (0)."""
    previous, before = np.zeros_like(x), np.zeros_like(x)
    previous[:, 1:], before[:, 2:] = x[:, :-1], x[:, :-2]
    entity = np.isin(x, _ENTITIES)
    after_trigger = entity & np.isin(previous, _TRIGGERS)
    across_modifier = entity & np.isin(previous, _MODIFIERS) & np.isin(before, _TRIGGERS)
    return np.where(after_trigger, previous, np.where(across_modifier, before, 0)).astype(np.int64)


def most_likely_tags(x) -> Tensor:
    """The best possible tagger of :func:`rare_tag_sequences`: each token's most probable tag.

    It knows the language's rule, and leaves ambiguous entity words O (they are tagged with
    probability 0.4 < 0.5): the highest accuracy any model can reach, a ceiling to compare
    trained taggers with.

    Args:
        x: ``[n, T]`` token ids (``PAD`` = 0 for padding).

    Returns:
        ``[n, T]`` long tag indices into ``TAGS``; ``IGNORE_INDEX`` at padding.
    """
    tokens = (x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)).astype(np.int64)
    if tokens.ndim != 2:
        raise ValueError(f"x must be token ids of shape [n, T]; got shape {tokens.shape}")
    tags = _rule_tags(tokens)
    tags[np.isin(tokens, _AMBIGUOUS)] = 0
    tags[tokens == PAD] = IGNORE_INDEX
    return torch.from_numpy(tags)


_WORDS = {PAD: "·", 1: "mr", 2: "in", 3: "on", 4: "the", 5: "old", 6: "new", 7: "far", 8: "big", 9: "late"}


def render_sequence(tokens, tags=None) -> str:
    """One sequence of :func:`rare_tag_sequences` as text: ``mr E14/NAME w31 …``.

    Triggers print as ``mr`` (NAME), ``in`` (PLACE), ``on`` (DATE); modifiers as English words;
    entity words as ``E10``–``E29`` (``E20``–``E29`` are the ambiguous ones); fillers as ``w30``….
    A token whose tag is not O gets ``/TAG``; padding is left out.

    Args:
        tokens: ``[T]`` token ids of one sequence.
        tags: optional ``[T]`` tags (indices into ``TAGS``, ``IGNORE_INDEX`` at padding).
    """
    tokens = np.asarray(tokens.tolist() if isinstance(tokens, Tensor) else tokens).reshape(-1)
    tags = None if tags is None else np.asarray(tags.tolist() if isinstance(tags, Tensor) else tags).reshape(-1)
    if tags is not None and tags.shape != tokens.shape:
        raise ValueError(f"tags must have one entry per token; got {tags.size} tags for {tokens.size} tokens")
    words = []
    for i, token in enumerate(tokens.tolist()):
        if token == PAD:
            continue
        word = _WORDS.get(token) or (f"E{token}" if token < _FIRST_FILLER else f"w{token}")
        if tags is not None and 0 < tags[i] < len(TAGS):
            word += "/" + TAGS[tags[i]]
        words.append(word)
    return " ".join(words)
