/// The `python-lambda` runtime: a small Python program that calls a rotator's handler as AWS Lambda would.
///
/// Embedded rather than shipped as a file beside the rotators so that it works with any rotators directory and in
/// any installation (the Docker image carries only the binary). ProcessRotator writes it into the step's private
/// home directory and runs `python3 <bootstrap> <handler> <function name> <timeout seconds> <function ARN>` in the
/// rotator's folder, with the Lambda event on stdin.
enum PythonLambdaBootstrap {
    static let fileName = "lockstep_python_lambda.py"

    static let source = #"""
        """Lockstep's python-lambda runtime: one rotation step, run the way AWS Lambda runs a Python handler.

        argv: handler ("module.function"), function name, timeout in seconds, function ARN. The event is JSON on stdin.
        The working directory is the rotator's folder, which is put first on sys.path (Lambda's /var/task).
        Logging goes to stderr (it becomes the failure reason, scrubbed, when the step fails); print() goes to stdout,
        which Lockstep discards. A raised exception prints its traceback to stderr and exits 1.
        """
        import importlib
        import json
        import logging
        import os
        import sys
        import time
        import traceback
        import uuid


        class LambdaContext:
            """The attributes and method of the context object AWS Lambda passes to a Python handler."""

            def __init__(self, function_name, timeout, function_arn):
                self._deadline = time.monotonic() + timeout
                self.function_name = function_name
                self.function_version = "$LATEST"
                self.invoked_function_arn = function_arn
                self.memory_limit_in_mb = "128"
                self.aws_request_id = str(uuid.uuid4())
                self.log_group_name = "/aws/lambda/" + function_name
                self.log_stream_name = time.strftime("%Y/%m/%d") + "/[$LATEST]" + uuid.uuid4().hex
                self.identity = None
                self.client_context = None

            def get_remaining_time_in_millis(self):
                return max(0, int((self._deadline - time.monotonic()) * 1000))


        def main():
            handler_name, function_name, timeout, function_arn = sys.argv[1:5]
            module_name, function = handler_name.rsplit(".", 1)
            sys.path.insert(0, os.getcwd())
            logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                                format="[%(levelname)s]\t%(asctime)s\t%(name)s\t%(message)s")
            try:
                event = json.load(sys.stdin)
                handler = getattr(importlib.import_module(module_name), function)
                handler(event, LambdaContext(function_name, float(timeout), function_arn))
            except Exception:
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
            sys.stdout.flush()
            sys.stderr.flush()


        if __name__ == "__main__":
            main()
        """#
}
