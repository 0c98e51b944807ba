"""Lon/lat <-> metres in a local UTM zone.

Every analysis in this package works in projected metres (Balikpapan: UTM zone 50S,
``"EPSG:32750"``). These helpers convert WGS 84 longitude/latitude (``"EPSG:4326"``) to metres
and back. Transformers are cached and always take and return ``(x, y)`` = ``(lon, lat)`` order
(``always_xy=True``), whatever axis order the CRS definition declares.

>>> utm_crs_for(116.83, -1.24)          # Balikpapan
'EPSG:32750'
>>> x, y, crs = to_metres([116.83, 116.85], [-1.24, -1.26])
>>> crs
'EPSG:32750'
>>> lon, lat = to_lonlat(x, y, crs)
>>> np.round(lon, 6).tolist(), np.round(lat, 6).tolist()
([116.83, 116.85], [-1.24, -1.26])
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

__all__ = ["WGS84", "reproject", "to_lonlat", "to_metres", "utm_crs_for"]

WGS84 = "EPSG:4326"

FloatArray = NDArray[np.float64]


def utm_crs_for(lon: float, lat: float) -> str:
    """The WGS 84 / UTM zone CRS code for a point given in degrees.

    Parameters
    ----------
    lon, lat : float
        Longitude in [-180, 180] and latitude in [-90, 90], degrees (WGS 84).

    Returns
    -------
    str
        ``"EPSG:326zz"`` north of the equator (and on it), ``"EPSG:327zz"`` south of it, where
        ``zz`` is the zone number 01..60. The Norway and Svalbard zone exceptions are ignored.

    Examples
    --------
    >>> utm_crs_for(116.83, -1.24)    # Balikpapan, zone 50 south
    'EPSG:32750'
    >>> utm_crs_for(-123.1, 49.26)    # Vancouver, zone 10 north
    'EPSG:32610'
    """
    lon = float(lon)
    lat = float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90 or abs(lon) > 180:
        raise ValueError(f"not a longitude/latitude in degrees: ({lon}, {lat})")
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return f"EPSG:{(32700 if lat < 0 else 32600) + zone}"


@lru_cache(maxsize=64)
def _transformer(src_crs: str, dst_crs: str) -> Transformer:
    return Transformer.from_crs(src_crs, dst_crs, always_xy=True)


def _as_float_arrays(a: ArrayLike, b: ArrayLike) -> tuple[FloatArray, FloatArray]:
    a_arr = np.asarray(a, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"coordinate arrays differ in shape: {a_arr.shape} and {b_arr.shape}")
    return a_arr, b_arr


def reproject(
    x: ArrayLike, y: ArrayLike, src_crs: str, dst_crs: str
) -> tuple[FloatArray, FloatArray]:
    """Transform coordinates between two CRSs, in ``(x, y)`` (easting/lon, northing/lat) order.

    Examples
    --------
    >>> x, y = reproject([500000.0], [10000000.0], "EPSG:32750", "EPSG:4326")
    >>> float(x[0]), abs(float(y[0])) < 1e-9    # the zone's central meridian on the equator
    (117.0, True)
    """
    x_arr, y_arr = _as_float_arrays(x, y)
    if src_crs == dst_crs:
        return x_arr.copy(), y_arr.copy()
    out_x, out_y = _transformer(str(src_crs), str(dst_crs)).transform(x_arr, y_arr)
    return np.asarray(out_x, dtype=np.float64), np.asarray(out_y, dtype=np.float64)


def to_metres(
    lon: ArrayLike, lat: ArrayLike, crs: str | None = None
) -> tuple[FloatArray, FloatArray, str]:
    """Project WGS 84 degrees to metres.

    Parameters
    ----------
    lon, lat : array_like
        Degrees, same shape.
    crs : str, optional
        Target projected CRS. Default: the UTM zone of the median point (NaNs ignored).

    Returns
    -------
    x_m, y_m : ndarray
        Easting and northing in metres.
    crs : str
        The CRS used, so the caller can convert back with :func:`to_lonlat`.

    Examples
    --------
    >>> x, y, crs = to_metres([117.0], [0.0])
    >>> crs, float(x[0]), abs(float(y[0])) < 1e-6
    ('EPSG:32650', 500000.0, True)
    """
    lon_arr, lat_arr = _as_float_arrays(lon, lat)
    if crs is None:
        if lon_arr.size == 0 or np.all(np.isnan(lon_arr) | np.isnan(lat_arr)):
            raise ValueError("cannot choose a UTM zone without a finite point; pass crs=")
        crs = utm_crs_for(float(np.nanmedian(lon_arr)), float(np.nanmedian(lat_arr)))
    x, y = reproject(lon_arr, lat_arr, WGS84, crs)
    return x, y, crs


def to_lonlat(x_m: ArrayLike, y_m: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Unproject metres in ``crs`` back to WGS 84 ``(lon, lat)`` degrees.

    Examples
    --------
    >>> lon, lat = to_lonlat([500000.0], [9862900.0], "EPSG:32750")
    >>> round(float(lon[0]), 3), round(float(lat[0]), 3)
    (117.0, -1.24)
    """
    return reproject(x_m, y_m, crs, WGS84)
