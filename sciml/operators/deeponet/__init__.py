"""operators/deeponet"""
