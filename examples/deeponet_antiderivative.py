"""Train a DeepONet on the antiderivative operator and score it on unseen functions.

    python examples/deeponet_antiderivative.py [--quick]
"""

import sys

from sciml import DeepONet
from validation import compare_operator, datasets

quick = "--quick" in sys.argv
train = datasets.make("antiderivative", 150, seed=0)
test = datasets.make("antiderivative", 50 if quick else 1000, seed=1000)
onet = DeepONet(branch=(40, 40), trunk=(40, 40), steps=200 if quick else 30000, lr=2e-3, schedule="cosine", seed=0)
onet.fit(train)
scores = compare_operator(onet, test)
print(f"test relative L2: mean {scores.attrs['relative_l2_mean']:.2e}, median {scores.attrs['relative_l2_median']:.2e}")
onet.save("results/examples/deeponet")
