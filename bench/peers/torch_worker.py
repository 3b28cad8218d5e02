"""PyTorch (CPU), the same workloads written the PyTorch way (a training loop by hand)."""

import time

t0 = time.perf_counter()
import torch  # noqa: E402

IMPORT_S = time.perf_counter() - t0

from common import args, load, median, report, timed  # noqa: E402
from torch import nn  # noqa: E402


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def convnet():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dropout(0.5), nn.Linear(1600, 10))


def epoch(model, opt, x, y, batch, steps=None):
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    perm = torch.randperm(len(x))
    n = len(x) // batch + (len(x) % batch > 0) if steps is None else steps
    for i in range(n):
        idx = perm[i * batch:(i + 1) * batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()


def main():
    a = args()
    if a.workload == "import":
        report(import_s=IMPORT_S)
        return
    torch.manual_seed(0)
    if a.workload == "W1":
        (x, y), (xt, yt) = load()
        x, y, xt, yt = map(torch.from_numpy, (x, y, xt, yt))
        m = mlp()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
        times = [timed(lambda: epoch(m, opt, x, y, 32))[1] for _ in range(a.epochs)]
        m.eval()
        with torch.no_grad():
            acc = float((m(xt).argmax(1) == yt).float().mean())
        report(epoch_s=median(times[1:] or times), epochs=times, accuracy=acc)
    elif a.workload == "W2":
        (x, y), _ = load(channels=True)
        x = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
        y = torch.from_numpy(y)
        m = convnet()
        opt = torch.optim.Adam(m.parameters(), lr=1e-3, eps=1e-7)
        epoch(m, opt, x, y, 128, steps=10)
        _, s = timed(lambda: epoch(m, opt, x, y, 128, steps=a.w2_steps))
        report(epoch_s=s / a.w2_steps * 469)
    else:
        (x, y), (xt, yt) = load()
        m = mlp()
        m.eval()
        xt = torch.from_numpy(xt)
        one = xt[:1]
        with torch.no_grad():
            for _ in range(200):
                m(one)
            reps = 2000
            _, s = timed(lambda: [m(one).numpy() for _ in range(reps)])
            big = [timed(lambda: torch.cat([m(xt[i:i + 1024]) for i in range(0, 10000, 1024)])
                         .numpy())[1] for _ in range(7)]
        report(pob_ms=s / reps * 1e3, predict_ms=s / reps * 1e3, batch1024_ms=median(big) * 1e3)


if __name__ == "__main__":
    main()
