#!/usr/bin/python3
"""Trains the shapes sample: a small residual CNN that tells squares, circles, triangles and lines apart.

Draws 3×64×64 pictures (one light shape at a random position, size and colour on a dark noisy background), trains
the network of shapes.cnn with PyTorch on the CPU (fixed seeds, under 3 minutes on 2 busy cores) and writes,
next to this script: shapes.safetensors (the state_dict, keys = the .cnn's module paths), one test
picture per class (square.png, circle.png, triangle.png, line.png) and expected.json (PyTorch's logits
on each picture, which the unit tests compare with CNN Lab's engine).

    /usr/bin/python3 samples/trained/train.py
"""
import json
import os
import random
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageDraw

CLASSES = ['square', 'circle', 'triangle', 'line']
SIZE = 64
HERE = os.path.dirname(os.path.abspath(__file__))


def draw(kind, rng, cx=None, cy=None, r=None):
    """One picture of class `kind` as a uint8 H×W×3 array; position, size and colours from `rng`."""
    # A dark background and a light shape, each of a random colour: the shape always stands out.
    bg = rng.integers(0, 110, 3)
    fg = rng.integers(60, 256, 3)
    fg[rng.integers(0, 3)] = rng.integers(190, 256)
    noise = rng.normal(0, 18, (SIZE, SIZE, 3))
    img = Image.fromarray(np.clip(bg + noise, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    r = r if r is not None else int(rng.integers(7, 15))
    cx = cx if cx is not None else int(rng.integers(r + 1, SIZE - r - 1))
    cy = cy if cy is not None else int(rng.integers(r + 1, SIZE - r - 1))
    col = tuple(int(v) for v in fg)
    if kind == 'square':
        d.rectangle([cx - r, cy - r, cx + r, cy + r], fill=col)
    elif kind == 'circle':
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=col)
    elif kind == 'triangle':
        a = rng.uniform(0, 2 * np.pi)
        pts = [(cx + r * 1.2 * np.cos(a + k * 2 * np.pi / 3), cy + r * 1.2 * np.sin(a + k * 2 * np.pi / 3)) for k in range(3)]
        d.polygon(pts, fill=col)
    else:
        a = rng.uniform(0, np.pi)
        dx, dy = r * 1.3 * np.cos(a), r * 1.3 * np.sin(a)
        d.line([cx - dx, cy - dy, cx + dx, cy + dy], fill=col, width=int(rng.integers(2, 5)))
    return np.asarray(img)


def dataset(n, rng):
    """n pictures, classes in turn, as a float tensor N×3×H×W in [0, 1] and the labels."""
    ys = np.arange(n) % len(CLASSES)
    xs = np.stack([draw(CLASSES[y], rng) for y in ys])
    return torch.from_numpy(xs).permute(0, 3, 1, 2).float() / 255, torch.from_numpy(ys).long()


class Block(nn.Module):
    """torchvision's basic block without a projection: relu(x + bn2(conv2(relu(bn1(conv1(x))))))."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return F.relu(x + self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


class Net(nn.Module):
    """The network of shapes.cnn, attribute for attribute."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = Block(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.conv3 = nn.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32, len(CLASSES))

    def forward(self, x):
        x = self.layer1(F.relu(self.bn1(self.conv1(x))))
        x = F.relu(self.bn2(self.conv2(x)))
        x = F.relu(self.bn3(self.conv3(x)))
        return self.fc(x.mean((2, 3)))


def write_safetensors(path, tensors):
    """The safetensors format by hand: 8-byte little-endian header length, JSON header, raw float32 data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.detach().contiguous().float().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(',', ':')).encode()
    head += b' ' * (-len(head) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(head)) + head + b''.join(blobs))


def accuracy(model, xs, ys):
    with torch.no_grad():
        return (model(xs).argmax(1) == ys).float().mean().item()


def main():
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    start = time.time()
    train_x, train_y = dataset(3000, rng)
    test_x, test_y = dataset(800, rng)
    model = Net()
    epochs = 10
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=epochs * (len(train_x) // 64))
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(train_x))
        for i in range(0, len(train_x) - 63, 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        print(f'epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {accuracy(model, test_x, test_y):.1%}')
    model.eval()
    print(f'train accuracy {accuracy(model, train_x, train_y):.1%}, test accuracy {accuracy(model, test_x, test_y):.1%} '
          f'({time.time() - start:.0f} s)')

    state = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    write_safetensors(os.path.join(HERE, 'shapes.safetensors'), state)
    # Test pictures: each shape large and off centre, so "where the network looks" is easy to check.
    pic_rng = np.random.default_rng(1)
    expected = {}
    for kind, (cx, cy) in zip(CLASSES, [(20, 22), (42, 22), (22, 42), (42, 42)]):
        pixels = draw(kind, pic_rng, cx=cx, cy=cy, r=13)
        Image.fromarray(pixels).save(os.path.join(HERE, f'{kind}.png'))
        x = torch.from_numpy(pixels.copy()).permute(2, 0, 1).float()[None] / 255
        with torch.no_grad():
            logits = model(x)[0]
        expected[kind] = {'centre': [cx, cy], 'radius': 13, 'logits': [round(v, 5) for v in logits.tolist()]}
        print(f'{kind}.png: {CLASSES[int(logits.argmax())]}  logits {[round(v, 3) for v in logits.tolist()]}')
    with open(os.path.join(HERE, 'expected.json'), 'w') as f:
        json.dump({'classes': CLASSES, 'pictures': expected}, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()
