#!/usr/bin/python3
"""Prints the two 16-entry tables of core::simd's exp (src/core/simd/vmath.cpp): 2^(j/16) = T_hi[j] + T_lo[j], T_hi the
double nearest to 2^(j/16) and T_lo the double nearest to the rest, from 200-bit arithmetic, as hex floats (the same
bits on every machine). Usage: /usr/bin/python3 tools/gen_exp_tables.py  (needs python3-mpmath)"""
import mpmath as mp

mp.mp.prec = 200
hi, lo = [], []
for j in range(16):
    v = mp.power(2, mp.mpf(j) / 16)
    h = float(v)
    hi.append(h)
    lo.append(float(v - mp.mpf(h)))
for name, vals in (("kExp2Hi", hi), ("kExp2Lo", lo)):
    print(f"alignas(64) constexpr double {name}[16] = {{")
    print("    " + ", ".join(v.hex() for v in vals) + "};")
