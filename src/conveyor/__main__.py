"""``python -m conveyor``: the same as the ``conveyor`` command.

``job-exec`` (a job process started by ``--executor process``, or the server that forks
them) goes straight to the job runner, without loading the command-line framework, so
each job starts quickly.
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:3] == ["job-exec", "--fork-server"]:
        from conveyor.executors.forkserver import serve

        sys.exit(serve(int(sys.argv[3])))
    if sys.argv[1:2] == ["job-exec"]:
        from conveyor.executors.child import exit_now
        from conveyor.executors.child import main as job_main

        exit_now(job_main())
    from conveyor.cli.main import run

    run()
