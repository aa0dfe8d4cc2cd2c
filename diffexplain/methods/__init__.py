"""The three differentiators over one graph: symbolic (sympy), autograd (torch), numeric (floats)."""
