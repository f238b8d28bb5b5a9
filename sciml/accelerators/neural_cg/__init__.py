"""accelerators/neural_cg"""
