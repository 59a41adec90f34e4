"""Regenerate the initial Alembic revision from the ORM models.

Until the first release there is one revision, 0001_initial, rebuilt from the models by this
script (`make migration`). After a release, new revisions are added with `alembic revision`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from xingqu.store.engine import make_engine
from xingqu.store.migrate import alembic_config

VERSIONS = Path(__file__).resolve().parents[1] / "src/xingqu/store/migrations/versions"


def main() -> None:
    for old in VERSIONS.glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/empty.db")
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message="initial", autogenerate=True, rev_id="0001_initial")
    written = sorted(VERSIONS.glob("*.py"))
    subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--quiet", *map(str, written)], check=True
    )
    subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--fix", "--quiet", *map(str, written)], check=False
    )
    print("wrote", *(p.name for p in written))


if __name__ == "__main__":
    main()
