"""The graph and its front ends: the operation table, the parser, points, shapes, the Python tracer."""
