"""A throwaway PostgreSQL server on loopback for the tests (Debian's package; `make test` installs it).

The server lives in a temporary folder for one pytest session: initdb, start on a free port bound to
127.0.0.1 only, trust authentication on loopback, stopped and deleted at the end. Tests that need a
server ask for the `postgres_dsn` fixture (tests/conftest.py). Set SCORELINK_TEST_POSTGRES_DSN to use a
server of your own instead (it must let the given user create databases and roles).

As root (CI), the PostgreSQL programs refuse to run, so they run as the `postgres` system user that the
Debian package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "scorelink_admin"


def find_bindir() -> Path:
    """The newest PostgreSQL server installation's bin folder (Debian: /usr/lib/postgresql/<v>/bin)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError("PostgreSQL server programs (initdb, pg_ctl) not found. `make test` installs Debian's "
                       "postgresql package; or set SCORELINK_TEST_POSTGRES_DSN to a server of your own.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalPostgres:
    root: Path
    port: int
    bindir: Path
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def dsn(self, dbname: str = "postgres", user: str = SUPERUSER) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={user}"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.root / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_local_postgres() -> LocalPostgres:
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="scorelink-pg-"))
    run_as = None
    if os.geteuid() == 0:
        run_as = "postgres"
        account = pwd.getpwnam(run_as)
        os.chown(root, account.pw_uid, account.pw_gid)
        root.chmod(0o700)
    server = LocalPostgres(root=root, port=_free_port(), bindir=bindir, run_as=run_as)
    try:
        server.start()
    except Exception:
        log = root / "server.log"
        detail = log.read_text() if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start the test PostgreSQL server\n{detail}") from None
    return server
