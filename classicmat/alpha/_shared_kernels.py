"""Numba kernels of shared matting (Gastal & Oliveira 2010).

One kernel per stage of the method, each a serial loop over a span
``start:stop`` of the list of unknown pixels (flat indices ``pixels``); the
caller runs the spans on a thread pool (the kernels release the GIL). A
pixel writes only its own entries of the output arrays and reads only the
inputs of its stage, so the result is the same for any number of threads
and any split into spans.

Conventions: ``image`` is (H, W, 3) float64; ``labels`` (H, W) int8 holds 1
for known foreground, 0 for known background and -1 for unknown pixels;
``index`` (H, W) int64 maps an unknown pixel to its position in ``pixels``
(-1 for known pixels). Per-pixel results of a stage are compact arrays in
the order of ``pixels``. A known pixel ``q`` stands for the tuple
``F = B = C_q``, ``alpha = label``, confidence 1 (the paper's convention).

The colour of a pair is estimated with :func:`alpha_hat`,
``clip((C - B).(F - B) / |F - B|^2, 0, 1)``; when ``|F - B|^2`` is below
``_TINY_FB`` (F = B: any alpha explains C) it is 0.5.
"""

from __future__ import annotations

import math

from .._jit import njit

#: |F - B|^2 below this: F and B are one colour and alpha is undetermined.
_TINY_FB = 1e-12
#: Guard of the ratio PF = E_b / (E_f + E_b) when both energies vanish.
_TINY_ENERGY = 1e-12
#: Sums of weights below this are empty.
_TINY_WEIGHT = 1e-300


@njit
def alpha_hat(c0, c1, c2, f0, f1, f2, b0, b1, b2):
    """``clip((C - B).(F - B) / |F - B|^2, 0, 1)``; 0.5 if F = B."""
    d0 = f0 - b0
    d1 = f1 - b1
    d2 = f2 - b2
    den = d0 * d0 + d1 * d1 + d2 * d2
    if den < _TINY_FB:
        return 0.5
    a = ((c0 - b0) * d0 + (c1 - b1) * d1 + (c2 - b2) * d2) / den
    return min(1.0, max(0.0, a))


@njit
def distortion_sq(c0, c1, c2, f0, f1, f2, b0, b1, b2):
    """``M^2 = |C - (a F + (1 - a) B)|^2`` with ``a = alpha_hat(C, F, B)``."""
    a = alpha_hat(c0, c1, c2, f0, f1, f2, b0, b1, b2)
    e0 = c0 - (a * f0 + (1.0 - a) * b0)
    e1 = c1 - (a * f1 + (1.0 - a) * b1)
    e2 = c2 - (a * f2 + (1.0 - a) * b2)
    return e0 * e0 + e1 * e1 + e2 * e2


@njit
def directional_energy(tensor, y, x, ux, uy):
    """``|grad I . u|^2`` at pixel (y, x), summed over the colour channels.

    ``tensor`` (H, W, 3) holds the sums over the channels of ``I_x^2``,
    ``I_x I_y`` and ``I_y^2`` (:func:`classicmat.alpha.shared.gradient_tensor`).
    """
    return ux * ux * tensor[y, x, 0] + 2.0 * ux * uy * tensor[y, x, 1] + uy * uy * tensor[y, x, 2]


@njit
def line_energy(tensor, y, x, sy, sx):
    """``E_p(s)``: the integral of ``|grad I . u|^2`` on the segment from p = (y, x)
    to s = (sy, sx), u its direction; trapezoid rule on ceil(|s - p|) equal
    steps, the gradient taken at the nearest pixel of each point."""
    dy = float(sy - y)
    dx = float(sx - x)
    length = math.sqrt(dx * dx + dy * dy)
    if length == 0.0:
        return 0.0
    steps = max(1, int(math.ceil(length)))
    ux = dx / length
    uy = dy / length
    h = length / steps
    previous = directional_energy(tensor, y, x, ux, uy)
    total = 0.0
    for k in range(1, steps + 1):
        qy = int(math.floor(y + k * dy / steps + 0.5))
        qx = int(math.floor(x + k * dx / steps + 0.5))
        e = directional_energy(tensor, qy, qx, ux, uy)
        total += 0.5 * (previous + e) * h
        previous = e
    return total


@njit
def colour_variance(image, y, x):
    """Variance of the colours of the 3x3 window around (y, x) (inside the image):
    the mean of ``|C_q - mean|^2``."""
    h, w, nc = image.shape
    y0, y1 = max(0, y - 1), min(h - 1, y + 1)
    x0, x1 = max(0, x - 1), min(w - 1, x + 1)
    n = (y1 - y0 + 1) * (x1 - x0 + 1)
    total = 0.0
    for c in range(nc):
        s = 0.0
        s2 = 0.0
        for qy in range(y0, y1 + 1):
            for qx in range(x0, x1 + 1):
                v = image[qy, qx, c]
                s += v
                s2 += v * v
        mean = s / n
        total += max(0.0, s2 / n - mean * mean)
    return total


# ---------------------------------------------------------------- 1. expansion


@njit
def expand_span(image, labels, pixels, dy, dx, threshold_sq, out, start, stop):
    """Expansion of the known regions, pixels ``start:stop``.

    ``out[t]`` is the label of the first known pixel q (of ``labels``, the
    trimap before expansion) at offset ``(dy[k], dx[k])`` from ``pixels[t]``
    whose colour is within ``sqrt(threshold_sq)`` of it, or -1. The offsets
    come sorted by distance (then in raster order), so that is the nearest
    such q.
    """
    h, w, nc = image.shape
    for t in range(start, stop):
        p = pixels[t]
        y = p // w
        x = p - y * w
        found = -1
        for k in range(dy.size):
            qy = y + dy[k]
            qx = x + dx[k]
            if qy < 0 or qy >= h or qx < 0 or qx >= w:
                continue
            label = labels[qy, qx]
            if label < 0:
                continue
            d2 = 0.0
            for c in range(nc):
                v = image[y, x, c] - image[qy, qx, c]
                d2 += v * v
            if d2 <= threshold_sq:
                found = label
                break
        out[t] = found


# ---------------------------------------------------------------- 2. gathering


@njit
def nearest_span(labels, side, pixels, dist_sq, out, start, stop):
    """``out[t]``: flat index of the nearest pixel labelled ``side`` to ``pixels[t]``,
    the first in raster order among those at the squared distance ``dist_sq[t]``
    (the least, from a Euclidean distance transform)."""
    h, w = labels.shape
    for t in range(start, stop):
        p = pixels[t]
        y = p // w
        x = p - y * w
        d2 = dist_sq[t]
        r = int(math.sqrt(d2))
        while (r + 1) * (r + 1) <= d2:
            r += 1
        found = -1
        for dy in range(-r, r + 1):
            qy = y + dy
            rest = d2 - dy * dy
            if qy < 0 or qy >= h or rest < 0:
                continue
            dx = int(math.sqrt(rest))
            while (dx + 1) * (dx + 1) <= rest:
                dx += 1
            while dx * dx > rest:
                dx -= 1
            if dx * dx != rest:
                continue
            for qx in (x - dx, x + dx):
                if 0 <= qx < w and labels[qy, qx] == side:
                    found = qy * w + qx
                    break
            if found >= 0:
                break
        out[t] = found


@njit
def _log_term(exponent, value):
    """``exponent * log(value)`` with ``0 * log(0) = 0`` and ``log(0) = -inf``."""
    if exponent == 0.0:
        return 0.0
    if value <= 0.0:
        return -math.inf
    return exponent * math.log(value)


@njit
def _neighbourhood_distortion(image, y, x, radius, f0, f1, f2, b0, b1, b2):
    """``N_p``: the sum of ``M_q^2`` over the window of ``radius`` around p (inside the image).

    :func:`distortion_sq` for each q, with the division by ``|F - B|^2`` done once.
    """
    h, w, _ = image.shape
    d0 = f0 - b0
    d1 = f1 - b1
    d2 = f2 - b2
    den = d0 * d0 + d1 * d1 + d2 * d2
    inverse = 1.0 / den if den >= _TINY_FB else 0.0
    total = 0.0
    for qy in range(max(0, y - radius), min(h, y + radius + 1)):
        for qx in range(max(0, x - radius), min(w, x + radius + 1)):
            v0 = image[qy, qx, 0] - b0
            v1 = image[qy, qx, 1] - b1
            v2 = image[qy, qx, 2] - b2
            if den >= _TINY_FB:
                a = min(1.0, max(0.0, (v0 * d0 + v1 * d1 + v2 * d2) * inverse))
            else:
                a = 0.5
            e0 = v0 - a * d0
            e1 = v1 - a * d1
            e2 = v2 - a * d2
            total += e0 * e0 + e1 * e1 + e2 * e2
    return total


@njit
def _cast_paths(labels, distance, y, x, directions, found):
    """Walk the paths of pixel (y, x); return the numbers of fg and bg samples.

    Path ``i`` visits the nearest pixels of ``(x, y) + k u_i``, ``k = 1, 2,
    ...``, until it leaves the image or has met both a foreground and a
    background pixel; the first of each is a sample: ``found[side, :, n]``
    holds its flat index, the path ``i`` and the step ``k`` (side 0
    foreground, 1 background).

    ``distance[side]`` (H, W) is the chessboard distance to the nearest pixel
    of that side. The pixel of step ``k + j`` is within ``j + sqrt(2)`` of the
    pixel q of step k, so no pixel of a side at chessboard distance ``d``
    from q (Euclidean ``>= d``) can be met before step ``k + d - 2``: the walk
    jumps there (the same samples and steps as a walk of every step).
    """
    h, w = labels.shape
    n_f = 0
    n_b = 0
    for i in range(directions.shape[0]):
        ux = directions[i, 0]
        uy = directions[i, 1]
        has_f = False
        has_b = False
        k = 1
        while True:
            qx = int(math.floor(x + k * ux + 0.5))
            qy = int(math.floor(y + k * uy + 0.5))
            if qx < 0 or qx >= w or qy < 0 or qy >= h:
                break
            label = labels[qy, qx]
            if label == 1 and not has_f:
                found[0, 0, n_f] = qy * w + qx
                found[0, 1, n_f] = i
                found[0, 2, n_f] = k
                n_f += 1
                has_f = True
            elif label == 0 and not has_b:
                found[1, 0, n_b] = qy * w + qx
                found[1, 1, n_b] = i
                found[1, 2, n_b] = k
                n_b += 1
                has_b = True
            if has_f and has_b:
                break
            if has_f:
                gap = distance[1, qy, qx]
            elif has_b:
                gap = distance[0, qy, qx]
            else:
                gap = min(distance[0, qy, qx], distance[1, qy, qx])
            k += max(1, gap - 2)
    return n_f, n_b


@njit
def _least_path_energies(tensor, y, x, directions, found, n_f, n_b, walked, sums, order):
    """``(min_i E_p(f_i), min_j E_p(b_j))`` over the samples found on the paths
    (``inf`` for a side without samples).

    A path holds at most one sample of each side (``found[side, 1]`` its
    path, ``found[side, 2]`` its step; see :func:`_cast_paths`), and the two
    energies of a path are sums of the same terms up to different steps.
    The foreground samples are taken nearest first, each walk stopping as
    soon as its sum reaches the least energy so far; the walks record where
    they stopped (``walked``, and in ``sums`` the sum, the last term and
    the sum at the path's background sample once passed). The background
    samples, nearest first, then resume those walks instead of starting
    again. Each sum adds the same terms in the same order as the full
    energy (the trapezoid rule on the nearest pixels of ``p + k u``, ``k =
    0 .. step``), so the result is that of computing every energy in full,
    to the last bit (the tests hold the two to the same bits). ``walked``
    (k_g,) and ``order`` (k_g,) int64 and ``sums`` (4, k_g) float64 are
    scratch.
    """
    k_g = directions.shape[0]
    for i in range(k_g):
        walked[i] = 0
        sums[0, i] = 0.0  # sum so far
        sums[1, i] = directional_energy(tensor, y, x, directions[i, 0], directions[i, 1])
        sums[2, i] = -1.0  # sum at the background sample (-1: not passed)
        sums[3, i] = 0.0  # step of the background sample on the path (0: none)
    for n in range(n_b):
        sums[3, found[1, 1, n]] = found[1, 2, n]
    best_f = math.inf
    for side, count in ((0, n_f), (1, n_b)):
        for n in range(count):  # insertion sort of the samples by their step
            order[n] = n
            m = n
            while m > 0 and found[side, 2, order[m - 1]] > found[side, 2, order[m]]:
                order[m - 1], order[m] = order[m], order[m - 1]
                m -= 1
        least = math.inf
        for n in range(count):
            i = found[side, 1, order[n]]
            target = found[side, 2, order[n]]
            if side == 1 and sums[2, i] >= 0.0:
                if sums[2, i] < least:
                    least = sums[2, i]
                continue
            k = walked[i]
            total = sums[0, i]
            previous = sums[1, i]
            ux = directions[i, 0]
            uy = directions[i, 1]
            b_step = int(sums[3, i])
            while k < target and total < least:
                k += 1
                qx = int(math.floor(x + k * ux + 0.5))
                qy = int(math.floor(y + k * uy + 0.5))
                e = directional_energy(tensor, qy, qx, ux, uy)
                total += 0.5 * (previous + e)
                previous = e
                if k == b_step:
                    sums[2, i] = total
            walked[i] = k
            sums[0, i] = total
            sums[1, i] = previous
            if k == target and total < least:
                least = total
        if side == 0:
            best_f = least
    return best_f, least


@njit
def gather_span(
    image, tensor, labels, distance, pixels, directions, rotation, exponents, np_radius,
    nearest, found, walked, sums, order, out_samples, out_variance, missing, start, stop,
):  # fmt: skip
    """Sample gathering, pixels ``start:stop``: the best (foreground, background) pair.

    ``directions`` (R, k_g, 2) holds the unit vectors of the k_g paths for each
    of the R rotations; pixel (y, x) uses rotation ``rotation[y % P, x % Q]``
    of the (P, Q) table ``rotation``. ``tensor``: see :func:`directional_energy`;
    ``distance``: see :func:`_cast_paths`.
    A side without a sample on any path takes ``nearest[t, side]`` (flat
    index of the nearest known pixel of that side, or -1: then ``missing[t]``
    has bit 1 (foreground) or 2 (background) set and the pixel is left for a
    second call). Of all pairs, the
    one of least cost ``N_p^eN A_p^eA D_p(f)^ef D_p(b)^eb`` (compared as
    logarithms) wins: ``out_samples[t] = (f, b)`` (flat indices) and
    ``out_variance[t]`` the colour variances of the 3x3 windows around f and
    b. ``found`` (2, 3, k_g), ``walked`` and ``order`` (k_g,) int64 and ``sums``
    (4, k_g) are scratch.
    """
    h, w, _ = image.shape
    e_n, e_a, e_f, e_b = exponents[0], exponents[1], exponents[2], exponents[3]
    for t in range(start, stop):
        p = pixels[t]
        y = p // w
        x = p - y * w
        missing[t] = 0
        r = rotation[y % rotation.shape[0], x % rotation.shape[1]]
        paths = directions[r]
        n_f, n_b = _cast_paths(labels, distance, y, x, paths, found)
        min_f = min_b = 0.0
        if n_f or n_b:
            min_f, min_b = _least_path_energies(
                tensor, y, x, paths, found, n_f, n_b, walked, sums, order
            )
        if n_f == 0 and nearest[t, 0] >= 0:
            s = nearest[t, 0]
            found[0, 0, 0] = s
            min_f = line_energy(tensor, y, x, s // w, s % w)
            n_f = 1
        if n_b == 0 and nearest[t, 1] >= 0:
            s = nearest[t, 1]
            found[1, 0, 0] = s
            min_b = line_energy(tensor, y, x, s // w, s % w)
            n_b = 1
        if n_f == 0 or n_b == 0:
            missing[t] = (1 if n_f == 0 else 0) + (2 if n_b == 0 else 0)
            out_samples[t, 0] = -1
            out_samples[t, 1] = -1
            continue
        pf = (min_b + _TINY_ENERGY) / (min_f + min_b + 2.0 * _TINY_ENERGY)
        c0, c1, c2 = image[y, x, 0], image[y, x, 1], image[y, x, 2]
        best = math.inf
        best_i = 0
        best_j = 0
        for i in range(n_f):
            fy = found[0, 0, i] // w
            fx = found[0, 0, i] - fy * w
            f0, f1, f2 = image[fy, fx, 0], image[fy, fx, 1], image[fy, fx, 2]
            log_df = _log_term(e_f, math.sqrt(float((fy - y) ** 2 + (fx - x) ** 2)))
            for j in range(n_b):
                by = found[1, 0, j] // w
                bx = found[1, 0, j] - by * w
                b0, b1, b2 = image[by, bx, 0], image[by, bx, 1], image[by, bx, 2]
                a = alpha_hat(c0, c1, c2, f0, f1, f2, b0, b1, b2)
                cost = (
                    _log_term(e_n, _neighbourhood_distortion(
                        image, y, x, np_radius, f0, f1, f2, b0, b1, b2
                    ))
                    + _log_term(e_a, pf + (1.0 - 2.0 * pf) * a)
                    + log_df
                    + _log_term(e_b, math.sqrt(float((by - y) ** 2 + (bx - x) ** 2)))
                )  # fmt: skip
                if cost < best or (i == 0 and j == 0):
                    best = cost
                    best_i = i
                    best_j = j
        f = found[0, 0, best_i]
        b = found[1, 0, best_j]
        out_samples[t, 0] = f
        out_samples[t, 1] = b
        out_variance[t, 0] = colour_variance(image, f // w, f % w)
        out_variance[t, 1] = colour_variance(image, b // w, b % w)


# ---------------------------------------------------------------- 3. refinement


@njit
def refine_span(
    image, index, pixels, sample_f, sample_b, variance, radius, lam,
    out_f, out_b, out_alpha, out_confidence, start, stop,
):  # fmt: skip
    """Sample refinement, pixels ``start:stop``.

    Of the gathered pairs ``(sample_f[q], sample_b[q])`` (colours, compact)
    of the unknown pixels q in the window of ``radius`` around p, the three
    of least ``M_p^2`` (the first in raster order on ties) are averaged, with
    their variances: ``F~, B~, s_f^2, s_b^2``. Then ``F^g = C_p`` if
    ``|C_p - F~|^2 <= s_f^2`` else ``F~`` (the same for B),
    ``alpha^g = alpha_hat(C_p, F^g, B^g)`` (with F~, B~ if F^g = B^g), and the
    confidence ``exp(-lam M_p(F~, B~))``.
    """
    h, w, _ = image.shape
    for t in range(start, stop):
        p = pixels[t]
        y = p // w
        x = p - y * w
        c0, c1, c2 = image[y, x, 0], image[y, x, 1], image[y, x, 2]
        cost0 = cost1 = cost2 = math.inf
        id0 = id1 = id2 = -1
        for qy in range(max(0, y - radius), min(h, y + radius + 1)):
            for qx in range(max(0, x - radius), min(w, x + radius + 1)):
                q = index[qy, qx]
                if q < 0:
                    continue
                cost = distortion_sq(
                    c0, c1, c2, sample_f[q, 0], sample_f[q, 1], sample_f[q, 2],
                    sample_b[q, 0], sample_b[q, 1], sample_b[q, 2],
                )  # fmt: skip
                if cost < cost2:
                    if cost < cost1:
                        cost2, id2 = cost1, id1
                        if cost < cost0:
                            cost1, id1 = cost0, id0
                            cost0, id0 = cost, q
                        else:
                            cost1, id1 = cost, q
                    else:
                        cost2, id2 = cost, q
        f0 = f1 = f2 = b0 = b1 = b2 = 0.0
        var_f = var_b = 0.0
        count = 0
        for q in (id0, id1, id2):
            if q < 0:
                continue
            count += 1
            f0 += sample_f[q, 0]
            f1 += sample_f[q, 1]
            f2 += sample_f[q, 2]
            b0 += sample_b[q, 0]
            b1 += sample_b[q, 1]
            b2 += sample_b[q, 2]
            var_f += variance[q, 0]
            var_b += variance[q, 1]
        f0 /= count
        f1 /= count
        f2 /= count
        b0 /= count
        b1 /= count
        b2 /= count
        var_f /= count
        var_b /= count
        confidence = math.exp(-lam * math.sqrt(distortion_sq(c0, c1, c2, f0, f1, f2, b0, b1, b2)))
        g0, g1, g2 = f0, f1, f2
        if (c0 - f0) ** 2 + (c1 - f1) ** 2 + (c2 - f2) ** 2 <= var_f:
            g0, g1, g2 = c0, c1, c2
        k0, k1, k2 = b0, b1, b2
        if (c0 - b0) ** 2 + (c1 - b1) ** 2 + (c2 - b2) ** 2 <= var_b:
            k0, k1, k2 = c0, c1, c2
        if (g0 - k0) ** 2 + (g1 - k1) ** 2 + (g2 - k2) ** 2 < _TINY_FB:
            a = alpha_hat(c0, c1, c2, f0, f1, f2, b0, b1, b2)
        else:
            a = alpha_hat(c0, c1, c2, g0, g1, g2, k0, k1, k2)
        out_f[t, 0] = g0
        out_f[t, 1] = g1
        out_f[t, 2] = g2
        out_b[t, 0] = k0
        out_b[t, 1] = k1
        out_b[t, 2] = k2
        out_alpha[t] = a
        out_confidence[t] = confidence


# ---------------------------------------------------------------- 4. local smoothing


@njit
def smooth_fb_span(
    image, labels, index, pixels, fg, bg, alpha, confidence, gauss, out_f, out_b, start, stop
):
    """Local smoothing of F and B, pixels ``start:stop``.

    With ``W_c(p, q) = G(|p - q|) f_q |alpha_p - alpha_q|`` (``G(0) f_p`` for
    q = p; ``gauss`` (2r+1, 2r+1) the Gaussian on the window):
    ``F_p = sum W_c alpha_q F_q / sum W_c alpha_q`` and
    ``B_p = sum W_c (1 - alpha_q) B_q / sum W_c (1 - alpha_q)``; an empty sum
    keeps the refined colour.
    """
    h, w, _ = image.shape
    radius = gauss.shape[0] // 2
    for t in range(start, stop):
        p = pixels[t]
        y = p // w
        x = p - y * w
        a_p = alpha[t]
        sf0 = sf1 = sf2 = sb0 = sb1 = sb2 = 0.0
        wf = wb = 0.0
        for qy in range(max(0, y - radius), min(h, y + radius + 1)):
            for qx in range(max(0, x - radius), min(w, x + radius + 1)):
                q = index[qy, qx]
                if q < 0:
                    a_q = float(labels[qy, qx])
                    f_q = 1.0
                    F0, F1, F2 = image[qy, qx, 0], image[qy, qx, 1], image[qy, qx, 2]
                    B0, B1, B2 = F0, F1, F2
                else:
                    a_q = alpha[q]
                    f_q = confidence[q]
                    F0, F1, F2 = fg[q, 0], fg[q, 1], fg[q, 2]
                    B0, B1, B2 = bg[q, 0], bg[q, 1], bg[q, 2]
                weight = gauss[qy - y + radius, qx - x + radius] * f_q
                if q != t:
                    weight *= abs(a_p - a_q)
                u = weight * a_q
                v = weight * (1.0 - a_q)
                wf += u
                wb += v
                sf0 += u * F0
                sf1 += u * F1
                sf2 += u * F2
                sb0 += v * B0
                sb1 += v * B1
                sb2 += v * B2
        if wf > _TINY_WEIGHT:
            out_f[t, 0] = sf0 / wf
            out_f[t, 1] = sf1 / wf
            out_f[t, 2] = sf2 / wf
        else:
            out_f[t, 0] = fg[t, 0]
            out_f[t, 1] = fg[t, 1]
            out_f[t, 2] = fg[t, 2]
        if wb > _TINY_WEIGHT:
            out_b[t, 0] = sb0 / wb
            out_b[t, 1] = sb1 / wb
            out_b[t, 2] = sb2 / wb
        else:
            out_b[t, 0] = bg[t, 0]
            out_b[t, 1] = bg[t, 1]
            out_b[t, 2] = bg[t, 2]


@njit
def final_alpha_span(
    image, labels, index, pixels, fg, bg, alpha_g, confidence_g, radius_fb, gauss, lam,
    out_alpha, out_confidence, start, stop,
):  # fmt: skip
    """The final alpha of pixels ``start:stop``: ``f_p alpha_p + (1 - f_p) alpha_p^l``.

    ``fg``, ``bg``: the smoothed colours; ``alpha_g``, ``confidence_g``: the
    refined tuples. ``alpha_p = alpha_hat(C_p, F_p, B_p)``;
    ``f_p = min(1, |F_p - B_p| / D_FB) exp(-lam M_p(F_p, B_p))`` with
    ``D_FB`` the mean of ``|F_q - B_q|`` weighted by
    ``f_q^g alpha_q^g (1 - alpha_q^g)`` over the window of ``radius_fb``
    (the ratio is 1 when that mean is empty or 0, and 0 when F_p = B_p);
    ``alpha_p^l`` the mean of ``alpha_q^g`` weighted by
    ``f_q^g G(|p - q|) + [q known]`` (``gauss`` its window).
    """
    h, w, _ = image.shape
    radius_l = gauss.shape[0] // 2
    for t in range(start, stop):
        p = pixels[t]
        y = p // w
        x = p - y * w
        total = 0.0
        weight_sum = 0.0
        for qy in range(max(0, y - radius_fb), min(h, y + radius_fb + 1)):
            for qx in range(max(0, x - radius_fb), min(w, x + radius_fb + 1)):
                q = index[qy, qx]
                if q < 0:
                    continue  # weight alpha (1 - alpha) = 0
                a_q = alpha_g[q]
                weight = confidence_g[q] * a_q * (1.0 - a_q)
                if weight > 0.0:
                    d = math.sqrt(
                        (fg[q, 0] - bg[q, 0]) ** 2
                        + (fg[q, 1] - bg[q, 1]) ** 2
                        + (fg[q, 2] - bg[q, 2]) ** 2
                    )
                    total += weight * d
                    weight_sum += weight
        c0, c1, c2 = image[y, x, 0], image[y, x, 1], image[y, x, 2]
        f0, f1, f2 = fg[t, 0], fg[t, 1], fg[t, 2]
        b0, b1, b2 = bg[t, 0], bg[t, 1], bg[t, 2]
        distance = math.sqrt((f0 - b0) ** 2 + (f1 - b1) ** 2 + (f2 - b2) ** 2)
        mean_distance = total / weight_sum if weight_sum > _TINY_WEIGHT else 0.0
        if distance * distance < _TINY_FB:
            ratio = 0.0
        elif mean_distance <= 0.0:
            ratio = 1.0
        else:
            ratio = min(1.0, distance / mean_distance)
        confidence = ratio * math.exp(
            -lam * math.sqrt(distortion_sq(c0, c1, c2, f0, f1, f2, b0, b1, b2))
        )
        a_p = alpha_hat(c0, c1, c2, f0, f1, f2, b0, b1, b2)
        total = 0.0
        weight_sum = 0.0
        for qy in range(max(0, y - radius_l), min(h, y + radius_l + 1)):
            for qx in range(max(0, x - radius_l), min(w, x + radius_l + 1)):
                q = index[qy, qx]
                g = gauss[qy - y + radius_l, qx - x + radius_l]
                if q < 0:
                    weight = g + 1.0
                    a_q = float(labels[qy, qx])
                else:
                    weight = confidence_g[q] * g
                    a_q = alpha_g[q]
                total += weight * a_q
                weight_sum += weight
        low = total / weight_sum if weight_sum > _TINY_WEIGHT else alpha_g[t]
        value = confidence * a_p + (1.0 - confidence) * low
        out_alpha[t] = min(1.0, max(0.0, value))
        out_confidence[t] = confidence
