// lockstep-bare-route: the framework's ceiling for the HTTP benchmark. A Hummingbird server whose POST / reads the
// request body and answers a fixed body of a given size, with no authentication, no store and no JSON work.
//
//   lockstep-bare-route PORT BODY_BYTES
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

// The same runtime set-up as `lockstep` (Swift concurrency on NIO's event loops), so the comparison is fair.
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8099 : 8099
let size = arguments.count > 2 ? Int(arguments[2]) ?? 300 : 300
let body = ByteBuffer(string: "{\"SecretString\":\"" + String(repeating: "x", count: max(0, size - 19)) + "\"}")

let router = Router()
router.post("/") { request, _ -> Response in
    _ = try await request.body.collect(upTo: 1 << 20)
    return Response(status: .ok, headers: [.contentType: "application/x-amz-json-1.1"], body: .init(byteBuffer: body))
}
var logger = Logger(label: "bare-route")
logger.logLevel = .warning
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
try await app.runService()
