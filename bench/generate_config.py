#!/usr/bin/env python3
"""Writes a config with N tasks mixing interval, time-of-day and cron schedules in many zones.

Usage: generate_config.py N OUT.toml
"""
import sys

ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata",
         "America/Sao_Paulo", "Australia/Lord_Howe", "Europe/Dublin", "Asia/Tokyo", "America/Havana"]


def task(i):
    zone = ZONES[i % len(ZONES)]
    kind = i % 3
    lines = ["[[task]]", f'name = "task-{i:05d}"']
    if kind == 0:
        lines.append(f"seconds = {10 + i % 3600}")
    elif kind == 1:
        lines += [f'time = ["{i % 24:02d}:{i % 60:02d}", "{(i + 12) % 24:02d}:30"]', f'timezone = "{zone}"']
    else:
        lines += [f'cron = "{i % 60} {i % 24} * * MON-FRI"', f'timezone = "{zone}"']
    if i % 2:
        lines += [f'run = "echo task {i}"', 'timeout = "30s"', "retry_on = [\"exit:75\", \"timeout\"]"]
    else:
        lines += ['webhook = "team"', f'content = "Reminder {i}: run {{{{loop}}}} on {{{{hostname}}}}"']
    return "\n".join(lines)


def main():
    count, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", encoding="utf-8") as f:
        f.write('[tasksrun]\ntimezone = "UTC"\n\n[webhooks.team]\nurl_env = "DISCORD_WEBHOOK_URL"\n'
                'kind = "discord"\n\n')
        f.write("\n\n".join(task(i) for i in range(count)))
        f.write("\n")


if __name__ == "__main__":
    main()
