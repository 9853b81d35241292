import Foundation
import HTTPTypes
import LockstepCore
import NIOCore
import NIOHTTPTypes

/// `Expect: 100-continue` as RFC 9110 §10.1.1 asks: a client that waits for permission before it sends its body gets
/// `100 Continue` at once, or its final answer at once when the request can already be refused.
///
/// Refused before the body: a request with no `Authorization` header at all (it could only be answered
/// MissingAuthenticationToken once the body had arrived). The answer closes the connection, so the unsent body never
/// has to be read. Everything else is verified as usual once the body is in; only the 100 is sent early.
///
/// Inbound only: its own answers start from its place in the pipeline, and the server's responses never pass through it.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    /// After a refusal the rest of the request (its body, if the client sends it anyway) is dropped.
    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if self.refused { return }
        if case .head(let request) = part, let expect = request.headerFields[.expect], expect.lowercased() == "100-continue" {
            if request.headerFields[.authorization] == nil, request.method == .post {
                self.refuse(context: context)
                return
            }
            context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }

    private func refuse(context: ChannelHandlerContext) {
        self.refused = true
        let error = SecretsManagerError(.missingAuthenticationToken, "Missing Authentication Token")
        let body = APIHandler.errorBody(error)
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/x-amz-json-1.1"
        head.headerFields[.contentLength] = String(body.count)
        head.headerFields[.connection] = "close"
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
