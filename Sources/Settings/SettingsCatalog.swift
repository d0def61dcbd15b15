import SettingKeys
/// Every key of every BigGoal program: one configuration file may serve them all, so each
/// program accepts the others' keys in it (and reads only its own).
enum SettingsCatalog {
    static let everyKey: Set<String> = APISettings.keys.union(ConsumerSettings.keys).union(PublishSettings.keys)
}
