"""The Debian package and its systemd units: `make package` builds a .deb that installs the
binary, man pages, example config and units where the units expect them, and the units pass
`systemd-analyze verify` and rate 2.0 or lower in `systemd-analyze security --offline=true`."""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from support import SOURCE_DIR

BUILD_DIR = os.environ.get("TASKSRUN_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
UNITS = ("tasksrun.service", "tasksrun@.service")


def run(*args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        built = run("cmake", "--build", BUILD_DIR, "--target", "package")
        if built.returncode != 0:
            raise AssertionError(built.stdout + built.stderr)
        cls.deb = max(glob.glob(os.path.join(BUILD_DIR, "tasksrun_*.deb")), key=os.path.getmtime)
        # Install into an empty root with dpkg itself, maintainer scripts included.
        cls.tmp = tempfile.TemporaryDirectory(prefix="tasksrun-package-")
        cls.root = cls.tmp.name
        for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
            os.makedirs(os.path.join(cls.root, d))
        open(os.path.join(cls.root, "var/lib/dpkg/status"), "w").close()
        # --force-not-root: a developer need not be root to run the tests.
        installed = run("dpkg", f"--root={cls.root}", "--force-not-root", "--force-depends", "--force-script-chrootless",
                        "--log=/dev/null", "-i", cls.deb)
        if installed.returncode != 0:
            raise AssertionError(installed.stdout + installed.stderr)
        # For systemd-analyze verify: what the units refer to on any Debian system.
        shutil.copytree("/usr/lib/systemd/system", os.path.join(cls.root, "usr/lib/systemd/system"),
                        symlinks=True, dirs_exist_ok=True)
        os.makedirs(os.path.join(cls.root, "bin"), exist_ok=True)
        shutil.copy("/bin/kill", os.path.join(cls.root, "bin/kill"))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, relative):
        return os.path.join(self.root, relative.lstrip("/"))

    def unit_setting(self, unit, key):
        with open(self.path(f"/usr/lib/systemd/system/{unit}"), encoding="utf-8") as f:
            return [line.split("=", 1)[1].strip() for line in f if line.startswith(key + "=")]

    def test_the_files_are_where_the_units_expect_them(self):
        for unit in UNITS:
            command = self.unit_setting(unit, "ExecStart")[0].split()
            binary = self.path(command[0])
            self.assertTrue(os.access(binary, os.X_OK), binary)
            self.assertEqual(self.unit_setting(unit, "ConfigurationDirectory"), ["tasksrun"])
            self.assertTrue(command[2].startswith("/etc/tasksrun/"), command)
        version = run(self.path("/usr/bin/tasksrun"), "--version")
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertIn("tasksrun", version.stdout)
        config = self.path("/etc/tasksrun/tasks.toml")
        self.assertEqual(run(self.path("/usr/bin/tasksrun"), "check", "-c", config).returncode, 0)
        self.assertEqual(os.stat(config).st_mode & 0o004, 0o004, "the service's dynamic user must read it")
        for page in ("/usr/share/man/man1/tasksrun.1", "/usr/share/man/man5/tasksrun.toml.5"):
            self.assertTrue(os.path.exists(self.path(page)), page)

    def test_the_config_is_a_conffile_and_libraries_are_dependencies(self):
        with open(self.path("/var/lib/dpkg/info/tasksrun.conffiles"), encoding="utf-8") as f:
            self.assertEqual(f.read().split(), ["/etc/tasksrun/tasks.toml"])
        depends = run("dpkg-deb", "--field", self.deb, "Depends").stdout
        for library in ("libcurl4", "libsqlite3-0", "libsystemd0", "libtomlplusplus3", "tzdata"):
            self.assertIn(library, depends)

    def verify(self, *units):
        env = dict(os.environ, MANPATH=self.path("/usr/share/man"))
        return run("systemd-analyze", "verify", f"--root={self.root}", *units, env=env)

    def test_the_units_verify(self):
        result = self.verify("tasksrun.service", "tasksrun@example.service")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        # The host's own units, copied in, may draw warnings; ours must draw none.
        self.assertEqual([line for line in result.stderr.splitlines() if line.startswith("tasksrun")], [])

    def test_verify_catches_a_unit_that_points_nowhere(self):
        unit = self.path("/usr/lib/systemd/system/tasksrun-broken.service")
        with open(self.path("/usr/lib/systemd/system/tasksrun.service"), encoding="utf-8") as f:
            text = f.read().replace("ExecStart=/usr/bin/tasksrun ", "ExecStart=/usr/bin/tasksrun-missing ")
        with open(unit, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            result = self.verify("tasksrun-broken.service")
            self.assertNotEqual(result.returncode, 0)
            self.assertIn("tasksrun-missing", result.stderr)
        finally:
            os.remove(unit)

    def test_the_sandbox_rates_2_or_lower(self):
        for unit in UNITS:
            result = run("systemd-analyze", "security", "--offline=true", "--no-pager",
                         self.path(f"/usr/lib/systemd/system/{unit}"))
            match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
            self.assertIsNotNone(match, result.stdout + result.stderr)
            self.assertLessEqual(float(match.group(1)), 2.0, unit)
            # The state directory stays writable for commands under ProtectSystem=strict.
            self.assertEqual(self.unit_setting(unit, "ProtectSystem"), ["strict"])
            self.assertTrue(self.unit_setting(unit, "StateDirectory")[0].startswith("tasksrun"))


if __name__ == "__main__":
    unittest.main()
