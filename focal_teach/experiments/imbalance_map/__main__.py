"""``python -m focal_teach.experiments.imbalance_map [--quick] [--out FILE] [--workers N]``: measure the map."""

from focal_teach.experiments.imbalance_map import main

main()
