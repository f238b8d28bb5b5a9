"""operators/grid"""
