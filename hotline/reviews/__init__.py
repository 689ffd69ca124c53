"""差评处置: bad reviews opened by unsatisfied callback results, ruled, rectified and answered."""
