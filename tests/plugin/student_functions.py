"""A student's training function, as a course would import it (used by the slow plugin test)."""

import torch
from torch import nn


def train(epochs, lr=0.1):  # noqa: ANN001, ANN201 (students do not annotate)
    torch.manual_seed(0)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    model = nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
