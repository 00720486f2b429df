"""A real PostgreSQL primary and its synchronous standby, for restart and failover tests.

Built from the binaries the embedded PostgreSQL ships (``pgserver`` carries
``initdb``, ``pg_ctl``, ``pg_basebackup`` and ``postgres``), so the tests
need no database server installed: the primary is made with ``initdb``, the
standby with ``pg_basebackup -R`` from it, both listen on loopback TCP, and
the primary waits for the standby's flush before a commit returns
(``synchronous_standby_names``), which is what makes a failover lose nothing.

As root (CI) the servers run as the ``pgserver`` user, as the embedded
database does: PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import psutil

from axis.registry.agencies import AgencyCredentials
from axis.runtime import open_runtime
from axis.settings import Settings
from axis.storage import database, migrator
from tests.support.agencies import register_agency
from tests.support.processes import TEST_SECRET_KEY, free_port

STANDBY_NAME = "axis_standby"
DATABASE = "axis"


def binaries() -> Path:
    """The folder of the PostgreSQL programs inside the installed ``pgserver``."""
    spec = importlib.util.find_spec("pgserver")
    assert spec is not None and spec.origin is not None, "pgserver is not installed"
    return Path(spec.origin).parent / "pginstall" / "bin"


def _system_user() -> str | None:
    """The user the servers run as: ourselves, or ``pgserver`` when we are root."""
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    ensure_user_exists("pgserver")
    return "pgserver"


@dataclass
class Member:
    """One PostgreSQL server of the pair."""

    name: str
    directory: Path
    port: int
    user: str | None

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    def run(self, program: str, *arguments: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [str(binaries() / program), *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self.user,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"{program} {' '.join(arguments)} failed on {self.name}:\n"
                f"{done.stdout}\n{done.stderr}\n{self.log_text()}"
            )
        return done.stdout

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def pg_ctl(self, *arguments: str) -> str:
        return self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", *arguments)

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: sessions are ended, the server comes back."""
        self.pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("stop", "-m", "immediate")

    def kill(self) -> None:
        """SIGKILL to the postmaster and every backend, as when its machine dies."""
        pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        server = psutil.Process(pid)
        family = [server, *server.children(recursive=True)]
        for process in family:
            process.send_signal(signal.SIGKILL)
        psutil.wait_procs(family, timeout=10)
        # The lock is left behind, as after a crash; this member is not restarted.

    def promote(self) -> None:
        self.pg_ctl("promote")

    def sql(self, statement: str) -> str:
        return self.run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", "postgres", "-Atc", statement,
        ).strip()  # fmt: skip


def _owned_folder(path: Path, user: str | None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)
    return path


@dataclass
class ReplicatedPair:
    """A primary with one synchronous standby; ``url`` names both, writes go to the primary."""

    root: Path
    user: str | None = field(default_factory=_system_user)
    primary: Member = field(init=False)
    standby: Member = field(init=False)

    def __post_init__(self) -> None:
        _owned_folder(self.root, self.user)
        self.primary = Member(
            "primary", _owned_folder(self.root / "a", self.user), free_port(), self.user
        )
        self.standby = Member(
            "standby", _owned_folder(self.root / "b", self.user), free_port(), self.user
        )

    @property
    def url(self) -> str:
        """The libpq multi-host URL a node uses: the first member that accepts writes."""
        hosts = f"127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}"
        return f"postgresql://postgres@{hosts}/{DATABASE}?target_session_attrs=read-write"

    def start(self) -> None:
        self._make_primary()
        self._make_standby()

    def _make_primary(self) -> None:
        primary = self.primary
        primary.run(
            "initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "--encoding=utf8"
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(primary.port),
            "unix_socket_directories": f"'{primary.directory}'",
            "wal_level": "replica",
            "max_wal_senders": "5",
            "hot_standby": "on",
            "fsync": "on",
            "synchronous_commit": "on",
        }
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        with (primary.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        primary.start()

    def _make_standby(self) -> None:
        primary, standby = self.primary, self.standby
        shutil.rmtree(standby.data, ignore_errors=True)
        # The database is created before the copy, so both members hold it.
        primary.sql(f"CREATE DATABASE {DATABASE}")
        standby.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(standby.data), "-R", "--wal-method=stream", "--checkpoint=fast",
        )  # fmt: skip
        settings = {
            "port": str(standby.port),
            "unix_socket_directories": f"'{standby.directory}'",
            "primary_conninfo": (
                f"'host=127.0.0.1 port={primary.port} user=postgres "
                f"application_name={STANDBY_NAME}'"
            ),
            # Once promoted it is the only member: it must not wait for a standby.
            "synchronous_standby_names": "''",
            # After the primary restarts, its commits wait until the standby
            # streams again; the default 5 s between reconnection attempts
            # would hold intake that long.
            "wal_retrieve_retry_interval": "'500ms'",
        }
        with (standby.data / "postgresql.auto.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        standby.start()
        # Only now that the standby exists: from here a commit returns once the
        # standby has flushed it, so nothing a client was told is stored can be
        # lost by promoting the standby.
        primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
        primary.sql("SELECT pg_reload_conf()")
        self.wait_synchronous()

    def wait_synchronous(self, timeout: float = 60.0) -> None:
        """Until the primary reports the standby streaming as its synchronous one."""
        deadline = time.monotonic() + timeout
        query = (
            f"SELECT sync_state FROM pg_stat_replication WHERE application_name = '{STANDBY_NAME}'"
        )
        while self.primary.sql(query) != "sync":
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the standby did not become synchronous:\n{self.standby.log_text()}"
                )
            # Polls the server's own view up to a deadline (synchronous helper).
            time.sleep(0.1)

    def fail_over(self) -> None:
        """The primary dies (SIGKILL, all its processes); the standby is promoted."""
        self.primary.kill()
        self.standby.promote()

    def stop(self) -> None:
        for member in (self.standby, self.primary):
            with contextlib.suppress(AssertionError):
                member.stop()
        shutil.rmtree(self.root, ignore_errors=True)


async def prepare_exchange(url: str, sender: str, recipient: str) -> AgencyCredentials:
    """Migrates the database at ``url`` and registers ``sender`` and ``recipient``."""
    connection = await database.connect(url)
    try:
        await migrator.migrate(connection)
    finally:
        await connection.close()
    pool = await database.create_pool(url, 2)
    try:
        runtime = open_runtime(Settings(database_url=url, secret_key=TEST_SECRET_KEY), pool)
        credentials = await register_agency(runtime, sender)
        await register_agency(runtime, recipient)
        await runtime.close()
    finally:
        await pool.close()
    return credentials


async def stored_documents(url: str, sender: str) -> dict[str, tuple[int, str]]:
    """Each document id ``sender`` has stored: (how many copies, the first message id)."""
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT document_id, count(*) AS copies, min(id) AS id FROM messages"
            " WHERE sender_id = $1 GROUP BY document_id",
            sender,
        )
    finally:
        await connection.close()
    return {row["document_id"]: (row["copies"], row["id"]) for row in rows}
