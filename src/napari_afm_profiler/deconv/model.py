"""Networks for tip deconvolution: our bounded residual U-Net and the paper's plain encoder-decoder.

Both take the image (and optionally its Villarrubia erosion) in nm, relative to the tile's
mean height (the physics is translation invariant in z, and lateral/vertical nm keep their
meaning, so heights are not rescaled).  Our network predicts how much to *lower* each pixel:
``surface = image - softplus(f)``, so the output never exceeds the image (dilation only
raises a surface).  The baseline predicts the surface directly, as in the paper.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812


class ResBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (SiLU; no normalisation, which is slow on CPU)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()
        nn.init.zeros_(self.conv2.bias)
        self.conv2.weight.data.mul_(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the block."""
        h = F.silu(self.conv1(x))
        return F.silu(self.conv2(h) + self.skip(x))


class BoundedUNet(nn.Module):
    """Residual U-Net predicting the (non-negative) lowering of each image pixel.

    The input is folded 2x2 into channels (pixel unshuffle) so that the network runs at half
    resolution without losing any pixel, and unfolded at the end: four times cheaper, which is
    what makes a 1024^2 image fit in a second on two CPU cores.  Unfolded features alone let the
    four pixels of a 2x2 cell disagree (a checkerboard on images unlike the training scenes), so
    an optional 3x3 convolution at full resolution combines the unfolded features of
    neighbouring pixels with the full-resolution input into the lowering (cheap: one output
    channel).

    Parameters
    ----------
    in_channels : int
        1 (image) or 2 (image and its erosion by the nominal tip).
    base : int
        Channels at half resolution (doubled per level).
    depth : int
        Number of further 2x downsamplings; inputs are padded to a multiple of ``2**(depth+1)``.
    refine : int
        Unfolded feature channels fed to the full-resolution convolution (0: none, the lowering
        itself is unfolded).
    """

    def __init__(self, in_channels: int = 2, base: int = 24, depth: int = 3, refine: int = 0) -> None:
        super().__init__()
        self.in_channels, self.base, self.depth, self.refine = in_channels, base, depth, refine
        chans = [base * 2**i for i in range(depth + 1)]
        self.stem = ResBlock(4 * in_channels, chans[0])
        self.down = nn.ModuleList(ResBlock(chans[i], chans[i + 1]) for i in range(depth))
        self.up = nn.ModuleList(ResBlock(chans[i + 1] + chans[i], chans[i]) for i in reversed(range(depth)))
        if refine:
            self.head = nn.Conv2d(chans[0], 4 * refine, 1)
            self.full_res = nn.Conv2d(refine + in_channels, 1, 3, padding=1)
        else:
            self.head = nn.Conv2d(chans[0], 4, 1)

    @property
    def multiple(self) -> int:
        """Input sizes must be a multiple of this."""
        return 2 ** (self.depth + 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Run the encoder-decoder on the folded input; return the half-resolution features before the head."""
        skips = [self.stem(F.pixel_unshuffle(x, 2))]
        h = skips[0]
        for block in self.down:
            h = block(F.avg_pool2d(h, 2))
            skips.append(h)
        skips.pop()
        for block in self.up:
            skip = skips.pop()
            h = block(torch.cat([F.interpolate(h, size=skip.shape[-2:], mode="nearest"), skip], dim=1))
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (image, erosion) relative heights to the surface (never above the image)."""
        image = x[:, :1]
        lowering = F.pixel_shuffle(self.head(self.features(x)), 2)
        if self.refine:
            lowering = self.full_res(torch.cat([F.silu(lowering), x], dim=1))
        return image - F.softplus(lowering)


class PaperEncoderDecoder(nn.Module):
    """The paper's baseline: a plain convolutional encoder-decoder (no skips) that outputs the surface."""

    def __init__(self, in_channels: int = 1, base: int = 32, depth: int = 3) -> None:
        super().__init__()
        self.in_channels, self.base, self.depth = in_channels, base, depth
        self.multiple = 2**depth
        layers: list[nn.Module] = []
        c = in_channels
        for i in range(depth):
            layers += [nn.Conv2d(c, base * 2**i, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c = base * 2**i
        for i in reversed(range(depth)):
            layers += [nn.ConvTranspose2d(c, base * 2**i, 2, stride=2), nn.ReLU()]
            c = base * 2**i
        layers += [nn.Conv2d(c, 1, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map the relative image heights to the surface."""
        return self.net(x)


QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of the true height predicted by :class:`TipConditionedUNet` (the median is the surface)."""


class TipConditionedUNet(BoundedUNet):
    """U-Net that lowers the Villarrubia erosion by the user's tip, and predicts quantiles of the true height.

    Inputs are maps ``(image, erosion, certainty)`` and a condition vector (the tip's depth
    profile and the pixel size, :mod:`napari_afm_profiler.deconv.conditioning`), broadcast to
    constant channels.  Heights are taken relative to a reference height given per image (its
    median), never per tile, so tiled inference equals whole-image inference.  The median is
    ``erosion - softplus(f) * (1 - certainty)``: never above the erosion, and equal to it where
    the tip certainly touched.  The other quantiles lie below and above it by softplus widths
    (above the erosion too: noise pulls the erosion below the truth).

    Parameters
    ----------
    n_condition : int
        Length of the condition vector.
    base, depth : int
        As :class:`BoundedUNet`.
    """

    def __init__(self, n_condition: int = 10, base: int = 24, depth: int = 3) -> None:
        super().__init__(in_channels=3 + n_condition, base=base, depth=depth, refine=0)
        self.n_condition = n_condition
        self.head = nn.Conv2d(base, 4 * len(QUANTILES), 1)

    def forward(self, maps: torch.Tensor, condition: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        """Return the quantiles ``(n, 5, ny, nx)`` in nm (absolute heights).

        Parameters
        ----------
        maps : (n, 3, ny, nx) tensor
            Image and erosion (nm, absolute) and the certainty map.
        condition : (n, n_condition) tensor
            Tip profile and pixel size.
        reference : (n, 1, 1, 1) tensor
            Reference height subtracted from image and erosion.
        """
        image, eroded, certain = maps[:, :1] - reference, maps[:, 1:2] - reference, maps[:, 2:3]
        constant = condition[:, :, None, None].expand(-1, -1, *maps.shape[-2:])
        x = torch.cat([image, eroded, certain, constant], dim=1)
        raw = F.pixel_shuffle(self.head(self.features(x)), 2)
        median = eroded - F.softplus(raw[:, 0:1]) * (1.0 - certain)
        q25 = median - F.softplus(raw[:, 1:2])
        q05 = q25 - F.softplus(raw[:, 2:3])
        q75 = median + F.softplus(raw[:, 3:4])
        q95 = q75 + F.softplus(raw[:, 4:5])
        return torch.cat([q05, q25, median, q75, q95], dim=1) + reference


def widen_condition(state: dict[str, torch.Tensor], network: TipConditionedUNet) -> dict[str, torch.Tensor]:
    """Fit the weights of a tip-conditioned network with fewer condition values to ``network``.

    The condition values are the last input channels, folded 2x2 into the last channels of the
    stem; the stem's weights for the new values start at zero, so the widened network computes
    exactly what the old one did until fine-tuning teaches it to use them.
    """
    own = network.state_dict()
    out = dict(state)
    for key in ("stem.conv1.weight", "stem.skip.weight"):
        old, new = state[key], own[key]
        if old.shape[1] > new.shape[1]:
            raise ValueError(f"the weights take {old.shape[1] // 4 - 3} condition values, more than the network's "
                             f"{network.n_condition}")
        if old.shape[1] < new.shape[1]:
            pad = torch.zeros((old.shape[0], new.shape[1] - old.shape[1], *old.shape[2:]), dtype=old.dtype)
            out[key] = torch.cat([old, pad], dim=1)
    return out


ARCHITECTURES = {"bounded-unet": BoundedUNet, "paper-encoder-decoder": PaperEncoderDecoder,
                 "tip-conditioned-unet": TipConditionedUNet}


def build_model(architecture: str, **kwargs: Any) -> nn.Module:
    """Instantiate a network by name (``tip-conditioned-unet``, ``bounded-unet`` or ``paper-encoder-decoder``)."""
    from napari_afm_profiler.errors import InputError

    if architecture not in ARCHITECTURES:
        raise InputError(f"unknown architecture {architecture!r}; choose one of {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[architecture](**kwargs)


def model_inputs(image: torch.Tensor, eroded: torch.Tensor | None, in_channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack the network input (heights relative to each tile's mean) and return it with that mean."""
    offset = image.mean(dim=(-2, -1), keepdim=True)
    channels = [image - offset]
    if in_channels > 1:
        if eroded is None:
            raise ValueError("this model needs the eroded image as a second channel")
        channels.append(eroded - offset)
    return torch.cat(channels, dim=1), offset


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """Return ``x`` (..., h, w) flipped and transposed as the ``k``-th (0-7) of the 8 symmetries of the square.

    Bit 1 flips the columns, bit 2 the rows, bit 4 transposes (after the flips).
    """
    if k & 1:
        x = x.flip(-1)
    if k & 2:
        x = x.flip(-2)
    if k & 4:
        x = x.transpose(-1, -2)
    return x
