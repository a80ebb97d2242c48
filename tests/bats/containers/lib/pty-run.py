#!/usr/bin/env python3
"""Run a command on a fresh pseudo-terminal and drive it like a user.

  pty-run.py ROWS COLS STEPS_JSON -- COMMAND [ARG...]

STEPS_JSON is a list of steps run in order:
  ["expect", TEXT]        wait (60 s at most) until TEXT has been output
  ["send", TEXT]          type TEXT (\\u0010 is ctrl-p, \\u0011 ctrl-q)
  ["resize", ROWS, COLS]  change the terminal's size (the command gets SIGWINCH)
Everything the command writes is copied to stdout; the exit status is the
command's (128+N when it died of signal N, 124 when a step timed out)."""
import fcntl, json, os, select, struct, sys, termios, time

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

def main():
    rows, cols, steps = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    pid, master = os.forkpty()
    if pid == 0:
        set_size(0, rows, cols)
        os.execvp(cmd[0], cmd)
    seen = b""

    def pump(timeout):
        nonlocal seen
        r, _, _ = select.select([master], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(master, 65536)
        except OSError:
            return False
        if not data:
            return False
        seen += data
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return True

    for step in steps:
        if step[0] == "expect":
            want = step[1].encode()
            deadline = time.time() + 60
            while want not in seen:
                if time.time() > deadline or not pump(0.1):
                    if want in seen:
                        break
                    sys.stderr.write("pty-run: timed out waiting for %r\n" % step[1])
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
                    sys.exit(124)
            # The next expect looks at what comes after this match.
            seen = seen[seen.index(want) + len(want):]
        elif step[0] == "send":
            os.write(master, step[1].encode())
        elif step[0] == "resize":
            set_size(master, step[1], step[2])
    def finish(status):
        while pump(0.1):
            pass
        code = os.waitstatus_to_exitcode(status)
        sys.exit(code if code >= 0 else 128 - code)

    deadline = time.time() + 60
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            finish(status)
        if not pump(0.2):
            break
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            finish(status)
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    sys.stderr.write("pty-run: the command did not exit\n")
    sys.exit(124)


main()
