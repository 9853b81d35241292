import LockstepRotation
import Testing

@Suite struct RotatorRegistryTests {
    @Test(arguments: [
        ("postgres-single-user", "postgres-single-user"),
        ("arn:aws:lambda:us-east-1:123456789012:function:postgres-multi-user", "postgres-multi-user"),
        ("arn:aws:lambda:eu-west-1:210987654321:function:mine:live", "mine"),
    ])
    func namesAndLambdaARNsResolveToAFunctionName(_ reference: String, _ name: String) {
        #expect(RotatorRegistry.functionName(reference) == name)
    }

    @Test(arguments: ["", "arn:aws:s3:::bucket", "arn:aws:lambda:us-east-1:1:layer:x", "arn:aws:lambda:us-east-1:1:function:"])
    func otherARNsNameNoFunction(_ reference: String) {
        #expect(RotatorRegistry.functionName(reference) == nil)
        #expect(!RotatorRegistry([:]).canInvoke(reference))
    }
}
