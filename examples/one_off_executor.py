"""The README's one-off executor: runs the task's Python function in a thread, reports the result
reliably, and stops. Run as a script, it also submits a task to itself through a QueueScheduler
(the executor process imports this file from the examples folder).

    MESOS_MASTER=127.0.0.1:5050 python examples/one_off_executor.py
"""

import logging
import os
import sys
import threading

from satyr.interface import Executor


class OneOffExecutor(Executor):
    def on_launch(self, driver, task):
        def run_task():
            driver.update(task.status("TASK_RUNNING"))
            logging.info("Sent TASK_RUNNING status update")
            try:
                logging.info("Executing task...")
                result = task()
            except Exception as e:
                logging.exception("Task errored")
                status = task.status("TASK_FAILED", message=str(e))
                status.exception = e
                driver.update(status)
            else:
                driver.update(task.status("TASK_FINISHED", data=result))
                logging.info("Sent TASK_FINISHED status update")
            driver.stop()

        thread = threading.Thread(target=run_task)
        thread.start()


def main():
    from satyr.messages import PythonTask
    from satyr.proxies.messages import Cpus, Mem
    from satyr.scheduler import QueueScheduler, Running

    here = os.path.dirname(os.path.abspath(__file__))
    task = PythonTask(
        fn=sum,
        args=[range(5)],
        name="one-off",
        resources=[Cpus(0.1), Mem(64)],
        command=[
            sys.executable,
            "-m",
            "satyr.executor",
            "--executor",
            "one_off_executor:OneOffExecutor",
        ],
        envs={"PYTHONPATH": here},
    )
    scheduler = QueueScheduler()
    with Running(scheduler, name="satyr-one-off"):
        print("one-off result:", scheduler.submit(task).get(timeout=60))


if __name__ == "__main__":
    main()
