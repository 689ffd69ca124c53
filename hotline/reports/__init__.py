"""Rates (响应率、解决率、满意率…) from the rate rollup, and the supervisors' dashboard."""
