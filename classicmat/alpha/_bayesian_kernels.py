"""Numba kernels of Bayesian matting (Chuang et al. 2001).

Every kernel takes contiguous float64/int64 arrays and scalars. The pieces
(:func:`cluster_samples`, :func:`solve6`, :func:`solve_fb_alpha`,
:func:`estimate_pixel`) are separate so that the tests can check each against
a plain NumPy reference on tiny inputs.

Pixel states are coded in ``order`` (H, W) int64: 0 for a known pixel, ``k``
(>= 1) for an unknown pixel of onion ring ``k``. While ring ``k`` is solved,
a pixel is a sample if and only if ``order < k``; the pixels of ring ``k`` are
written but never read, so the pixels of one ring can be solved in any order
or in parallel with identical results.
"""

from __future__ import annotations

import numpy as np

from .._ahead import wait
from .._jit import njit

_TINY = 1e-12


@njit
def _inv3(M, out):
    """Inverse of a 3x3 symmetric positive definite matrix by the adjugate (guarded)."""
    a, b, c = M[0, 0], M[0, 1], M[0, 2]
    d, e, f = M[1, 0], M[1, 1], M[1, 2]
    g, h, i = M[2, 0], M[2, 1], M[2, 2]
    c00 = e * i - f * h
    c01 = f * g - d * i
    c02 = d * h - e * g
    det = a * c00 + b * c01 + c * c02
    if abs(det) < 1e-300:
        det = 1e-300
    inv = 1.0 / det
    out[0, 0] = c00 * inv
    out[0, 1] = (c * h - b * i) * inv
    out[0, 2] = (b * f - c * e) * inv
    out[1, 0] = c01 * inv
    out[1, 1] = (a * i - c * g) * inv
    out[1, 2] = (c * d - a * f) * inv
    out[2, 0] = c02 * inv
    out[2, 1] = (b * g - a * h) * inv
    out[2, 2] = (a * e - b * d) * inv


@njit
def _cluster_stats(X, w, labels, label, mean, cov):
    """Weighted mean and covariance of the samples with ``labels == label``; returns the weight."""
    total = 0.0
    count = 0
    for c in range(3):
        mean[c] = 0.0
    for n in range(X.shape[0]):
        if labels[n] == label:
            total += w[n]
            count += 1
            for c in range(3):
                mean[c] += w[n] * X[n, c]
    if total > _TINY:
        for c in range(3):
            mean[c] /= total
    elif count > 0:  # all weights ~0: an unweighted mean
        for c in range(3):
            mean[c] = 0.0
        for n in range(X.shape[0]):
            if labels[n] == label:
                for c in range(3):
                    mean[c] += X[n, c] / count
    for r in range(3):
        for c in range(3):
            cov[r, c] = 0.0
    if total > _TINY:
        for n in range(X.shape[0]):
            if labels[n] == label:
                for r in range(3):
                    dr = X[n, r] - mean[r]
                    for c in range(3):
                        cov[r, c] += w[n] * dr * (X[n, c] - mean[c])
        for r in range(3):
            for c in range(3):
                cov[r, c] /= total
    return total


@njit
def cluster_samples(X, w, min_var, max_clusters, reg, means, covs):
    """Orchard-Bouman clustering of the weighted colour samples ``X`` (n, 3).

    Starts with one cluster and splits the cluster with the largest
    eigenvalue of its weighted covariance, along the eigenvector (column) of
    that eigenvalue, at the projection of its weighted mean, until the largest
    eigenvalue is below ``min_var`` or there are ``max_clusters`` clusters.
    Writes the means (k, 3) and the regularised covariances ``cov + reg I``
    (k, 3, 3) to ``means``/``covs`` and returns k.
    """
    n = X.shape[0]
    labels = np.zeros(n, dtype=np.int64)
    eigval = np.zeros(max_clusters)
    eigvec = np.zeros((max_clusters, 3))
    splittable = np.ones(max_clusters, dtype=np.bool_)
    k = 1
    for j in range(k):  # (a loop variable, not the constant 0: one compiled _cluster_stats)
        _cluster_stats(X, w, labels, j, means[j], covs[j])
        vals, vecs = np.linalg.eigh(covs[j].copy())
        eigval[j] = vals[2]
        for c in range(3):
            eigvec[j, c] = vecs[c, 2]
    while k < max_clusters:
        best = -1
        best_val = -1.0
        for j in range(k):
            if splittable[j] and eigval[j] > best_val:
                best_val = eigval[j]
                best = j
        if best < 0 or best_val < min_var:
            break
        e0, e1, e2 = eigvec[best, 0], eigvec[best, 1], eigvec[best, 2]
        cut = means[best, 0] * e0 + means[best, 1] * e1 + means[best, 2] * e2
        moved = 0
        kept = 0
        for m in range(n):
            if labels[m] == best:
                if X[m, 0] * e0 + X[m, 1] * e1 + X[m, 2] * e2 > cut:
                    labels[m] = k
                    moved += 1
                else:
                    kept += 1
        if moved == 0 or kept == 0:
            for m in range(n):  # undo: this cluster cannot be split
                if labels[m] == k:
                    labels[m] = best
            splittable[best] = False
            continue
        for j in (best, k):
            _cluster_stats(X, w, labels, j, means[j], covs[j])
            vals, vecs = np.linalg.eigh(covs[j].copy())
            eigval[j] = vals[2]
            for c in range(3):
                eigvec[j, c] = vecs[c, 2]
        k += 1
    for j in range(k):
        for c in range(3):
            covs[j, c, c] += reg
    return k


@njit
def _copy_model(fb_mean, fb_inv, side, means, inv):
    """``means[0], inv[0] = fb_mean[side], fb_inv[side]`` (loops: an array copied
    into a slice makes numba compile an error path that costs seconds)."""
    for r in range(3):
        means[0, r] = fb_mean[side, r]
        for c in range(3):
            inv[0, r, c] = fb_inv[side, r, c]


@njit
def solve6(A, b, x):
    """Solve the 6x6 system ``A x = b`` by Gaussian elimination with partial pivoting.

    ``A`` and ``b`` are overwritten. A zero pivot is replaced by a tiny one,
    so the result is always finite for finite input.
    """
    size = 6
    for col in range(size):
        piv = col
        big = abs(A[col, col])
        for r in range(col + 1, size):
            if abs(A[r, col]) > big:
                big = abs(A[r, col])
                piv = r
        if piv != col:
            for c in range(size):
                A[col, c], A[piv, c] = A[piv, c], A[col, c]
            b[col], b[piv] = b[piv], b[col]
        p = A[col, col]
        if abs(p) < 1e-300:
            p = 1e-300
            A[col, col] = p
        for r in range(col + 1, size):
            f = A[r, col] / p
            if f != 0.0:
                for c in range(col, size):
                    A[r, c] -= f * A[col, c]
                b[r] -= f * b[col]
    for r in range(size - 1, -1, -1):
        s = b[r]
        for c in range(r + 1, size):
            s -= A[r, c] * x[c]
        x[r] = s / A[r, r]


@njit
def solve_fb_alpha(C, mu_f, inv_f, mu_b, inv_b, sigma_c, alpha0, maxiter, tol, out):
    """The alternating MAP solve for one pixel and one (foreground, background) cluster pair.

    Solves the 6x6 system for (F, B) given alpha, then alpha given (F, B) by
    projecting C on the segment B-F (clipped to [0, 1]), until alpha changes
    by less than ``tol`` or after ``maxiter`` rounds. Writes
    ``(F0, F1, F2, B0, B1, B2, alpha)`` to ``out`` and returns the
    log-likelihood ``-|C - aF - (1-a)B|^2 / sigma_c^2 - q_F / 2 - q_B / 2``
    with ``q`` the Mahalanobis terms of F and B.
    """
    s2 = sigma_c * sigma_c
    A = np.empty((6, 6))
    b = np.empty(6)
    x = np.empty(6)
    rf = np.empty(3)
    rb = np.empty(3)
    for r in range(3):
        rf[r] = inv_f[r, 0] * mu_f[0] + inv_f[r, 1] * mu_f[1] + inv_f[r, 2] * mu_f[2]
        rb[r] = inv_b[r, 0] * mu_b[0] + inv_b[r, 1] * mu_b[1] + inv_b[r, 2] * mu_b[2]
    alpha = alpha0
    F0 = mu_f[0]
    F1 = mu_f[1]
    F2 = mu_f[2]
    B0 = mu_b[0]
    B1 = mu_b[1]
    B2 = mu_b[2]
    for _ in range(maxiter):
        a2 = alpha * alpha / s2
        ab = alpha * (1.0 - alpha) / s2
        b2 = (1.0 - alpha) * (1.0 - alpha) / s2
        for r in range(3):
            for c in range(3):
                A[r, c] = inv_f[r, c]
                A[r + 3, c + 3] = inv_b[r, c]
                A[r, c + 3] = 0.0
                A[r + 3, c] = 0.0
            A[r, r] += a2
            A[r + 3, r + 3] += b2
            A[r, r + 3] = ab
            A[r + 3, r] = ab
            b[r] = rf[r] + C[r] * alpha / s2
            b[r + 3] = rb[r] + C[r] * (1.0 - alpha) / s2
        solve6(A, b, x)
        F0 = min(max(x[0], 0.0), 1.0)
        F1 = min(max(x[1], 0.0), 1.0)
        F2 = min(max(x[2], 0.0), 1.0)
        B0 = min(max(x[3], 0.0), 1.0)
        B1 = min(max(x[4], 0.0), 1.0)
        B2 = min(max(x[5], 0.0), 1.0)
        d0 = F0 - B0
        d1 = F1 - B1
        d2 = F2 - B2
        denom = d0 * d0 + d1 * d1 + d2 * d2
        new_alpha = alpha
        if denom > _TINY:
            new_alpha = ((C[0] - B0) * d0 + (C[1] - B1) * d1 + (C[2] - B2) * d2) / denom
            new_alpha = min(max(new_alpha, 0.0), 1.0)
        change = abs(new_alpha - alpha)
        alpha = new_alpha
        if change < tol:
            break
    e0 = C[0] - alpha * F0 - (1.0 - alpha) * B0
    e1 = C[1] - alpha * F1 - (1.0 - alpha) * B1
    e2 = C[2] - alpha * F2 - (1.0 - alpha) * B2
    like = -(e0 * e0 + e1 * e1 + e2 * e2) / s2
    fv = (F0 - mu_f[0], F1 - mu_f[1], F2 - mu_f[2])
    bv = (B0 - mu_b[0], B1 - mu_b[1], B2 - mu_b[2])
    qf = 0.0
    qb = 0.0
    for r in range(3):
        for c in range(3):
            qf += fv[r] * inv_f[r, c] * fv[c]
            qb += bv[r] * inv_b[r, c] * bv[c]
    like -= 0.5 * qf + 0.5 * qb
    out[0] = F0
    out[1] = F1
    out[2] = F2
    out[3] = B0
    out[4] = B1
    out[5] = B2
    out[6] = alpha
    return like


@njit
def _gather(image, alpha, F, B, order, y, x, ring, radius, sigma, Xf, wf, Xb, wb, counts):
    """Collect the weighted F and B samples of the window of ``radius`` around (y, x).

    Returns the mean alpha of the sample pixels (NaN if there are none);
    ``counts`` gets (number of F samples, number of B samples).
    """
    h, w = order.shape
    nf = 0
    nb = 0
    asum = 0.0
    acount = 0
    inv2s2 = 1.0 / (2.0 * sigma * sigma)
    for yy in range(max(y - radius, 0), min(y + radius + 1, h)):
        dy = yy - y
        for xx in range(max(x - radius, 0), min(x + radius + 1, w)):
            if order[yy, xx] >= ring:
                continue
            dx = xx - x
            g = np.exp(-(dx * dx + dy * dy) * inv2s2)
            a = alpha[yy, xx]
            asum += a
            acount += 1
            wgt = a * a * g
            if wgt > 0.0:
                for c in range(3):
                    Xf[nf, c] = F[yy, xx, c]
                wf[nf] = wgt
                nf += 1
            wgt = (1.0 - a) * (1.0 - a) * g
            if wgt > 0.0:
                for c in range(3):
                    Xb[nb, c] = B[yy, xx, c]
                wb[nb] = wgt
                nb += 1
    counts[0] = nf
    counts[1] = nb
    if acount == 0:
        return np.nan
    return asum / acount


@njit
def estimate_pixel(
    image,
    alpha,
    F,
    B,
    order,
    y,
    x,
    ring,
    window,
    max_window,
    min_samples,
    sigma,
    sigma_c,
    min_var,
    max_clusters,
    reg,
    maxiter,
    tol,
    fb_mean,
    fb_inv,
    Xf,
    wf,
    Xb,
    wb,
    out,
):
    """Bayesian estimate of (F, B, alpha) at pixel (y, x) of onion ring ``ring``.

    The window starts at ``window`` pixels wide and grows by 8 pixels while it
    holds fewer than ``min_samples`` foreground or background samples, up to
    ``max_window``. Past that cap the pixel uses the samples it has; a side
    with no sample at all uses the global model ``fb_mean[s]``,
    ``fb_inv[s]`` (s = 0 foreground, 1 background). Writes
    ``(F, B, alpha)`` to ``out`` (7 values) and returns 1 if the global
    model was used for a side, else 0.
    """
    counts = np.zeros(2, dtype=np.int64)
    radius = window // 2
    max_radius = max_window // 2
    while True:
        a_mean = _gather(
            image, alpha, F, B, order, y, x, ring, radius, sigma, Xf, wf, Xb, wb, counts
        )
        if (counts[0] >= min_samples and counts[1] >= min_samples) or radius >= max_radius:
            break
        radius = min(radius + 4, max_radius)
    # Fewer than min_samples in the largest window is a graceful case (the
    # pixel uses what it has); only a side with no sample at all falls back
    # to the global model, and is counted.
    fallback = 0
    if counts[0] == 0 or counts[1] == 0:
        fallback = 1
    if not np.isfinite(a_mean):
        a_mean = 0.5
    C = image[y, x]
    means_f = np.empty((max_clusters, 3))
    covs_f = np.empty((max_clusters, 3, 3))
    means_b = np.empty((max_clusters, 3))
    covs_b = np.empty((max_clusters, 3, 3))
    inv_f = np.empty((max_clusters, 3, 3))
    inv_b = np.empty((max_clusters, 3, 3))
    if counts[0] > 0:
        kf = cluster_samples(
            Xf[: counts[0]], wf[: counts[0]], min_var, max_clusters, reg, means_f, covs_f
        )
        for j in range(kf):
            _inv3(covs_f[j], inv_f[j])
    else:
        kf = 1
        _copy_model(fb_mean, fb_inv, 0, means_f, inv_f)
    if counts[1] > 0:
        kb = cluster_samples(
            Xb[: counts[1]], wb[: counts[1]], min_var, max_clusters, reg, means_b, covs_b
        )
        for j in range(kb):
            _inv3(covs_b[j], inv_b[j])
    else:
        kb = 1
        _copy_model(fb_mean, fb_inv, 1, means_b, inv_b)
    trial = np.empty(7)
    best = -np.inf
    for i in range(kf):
        for j in range(kb):
            like = solve_fb_alpha(
                C, means_f[i], inv_f[i], means_b[j], inv_b[j], sigma_c, a_mean, maxiter, tol, trial
            )
            if like > best or i + j == 0:
                best = like
                for c in range(7):
                    out[c] = trial[c]
    return fallback


@njit
def _solve_span(
    image,
    alpha,
    F,
    B,
    order,
    ys,
    xs,
    start,
    stop,
    ring,
    params,
    iparams,
    fb_mean,
    fb_inv,
    fallback,
):
    """Solve the pixels ``start:stop`` of the ring list (serially), writing their results."""
    window, max_window, min_samples, max_clusters, maxiter = (
        iparams[0],
        iparams[1],
        iparams[2],
        iparams[3],
        iparams[4],
    )
    sigma, sigma_c, min_var, reg, tol = params[0], params[1], params[2], params[3], params[4]
    cap = (2 * (max_window // 2) + 1) ** 2
    Xf = np.empty((cap, 3))
    wf = np.empty(cap)
    Xb = np.empty((cap, 3))
    wb = np.empty(cap)
    out = np.empty(7)
    for p in range(start, stop):
        y = ys[p]
        x = xs[p]
        fallback[p] = estimate_pixel(
            image, alpha, F, B, order, y, x, ring, window, max_window, min_samples,
            sigma, sigma_c, min_var, max_clusters, reg, maxiter, tol, fb_mean, fb_inv,
            Xf, wf, Xb, wb, out,
        )  # fmt: skip
        for c in range(3):
            F[y, x, c] = out[c]
            B[y, x, c] = out[3 + c]
        alpha[y, x] = out[6]


# defined last: a process may be compiling these kernels ahead (classicmat._ahead),
# and this one compiles its share of them here, before it waits for it
wait(__name__)
