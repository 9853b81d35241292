import ArgumentParser
import LockstepCLI

/// The `lockstep` executable: everything it does lives in the LockstepCLI library.
@main
enum Entry {
    static func main() async {
        await LockstepCommand.main(nil)
    }
}
