"""The one thing pyproject.toml cannot say: the design card's top-level ``templates/`` stays at the repository
root, and the wheel carries it as ``crpv_watch/templates`` (``settings.TEMPLATES_DIR`` finds either)."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["crpv_watch*"]), "crpv_watch.templates"],
    package_dir={"crpv_watch.templates": "templates"},
)
