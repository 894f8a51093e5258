"""Our in-memory loader against torchvision's DataLoader (PIL + per-image transforms, num_workers=2):
images/s of each, measured one after the other in this process, and the ratio. Goal: >= 10x.

    .venv/bin/python benchmarks/loader.py [--batches N]
"""
import argparse

from lib import data, env, loader

CASES = {  # setting -> (augmentation, batch size)
    "cifar10 32x32 flip+crop, batch 512": (loader.Augment(flip=True, crop_pad=4), 512),
    "cifar10 32x32 flip+crop, batch 64": (loader.Augment(flip=True, crop_pad=4), 64),
    "cifar10 32->256->224 flip+resize+crop, batch 64": (loader.Augment(flip=True, resize=256, center_crop=224), 64),
}

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--batches", type=int, default=40)
    args = p.parse_args()
    ds = data.load("cifar10")
    device = env.default_device()
    print(f"device: {env.device_name(device)}; data: {ds.source}")
    for name, (aug, bs) in CASES.items():
        r = loader.versus_torchvision(ds, augment=aug, batch_size=bs, batches=args.batches, device=device)
        print(f"{name:<50} ours {r['ours_img_s']:>10,.0f} img/s   torchvision {r['torchvision_img_s']:>8,.0f} img/s"
              f"   ratio {r['ratio']:5.1f}x")
