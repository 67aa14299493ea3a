import { ProtoSchema } from "./proto-json.js";

/**
 * The messages of the v1 scheduler, master and agent `Call`s (mesos/v1/scheduler/scheduler.proto,
 * master/master.proto, agent/agent.proto and the messages of mesos.proto, maintenance.proto and quota.proto they
 * reach), as a Mesos JSON parser sees them: for each message its fields in declaration order, each as
 * `name#number` then `!` (required) or `*` (repeated), then its type: a scalar (`string`, `bytes`, `bool`,
 * `double`, `uint32`, ...), a message or enum named from the `mesos.v1` package (`scheduler.Call`, `agent.Call`),
 * or `map<key,value>`. Enums list their value names. Nothing else of the protos is needed to read a call as a
 * master or an agent does.
 */
export const CALL_MESSAGES: Readonly<Record<string, string>> = {
  AgentID: "value#1!string",
  Attribute:
    "name#1!string type#2!Value.Type scalar#3Value.Scalar ranges#4Value.Ranges set#6Value.Set text#5Value.Text",
  CSIPluginContainerInfo:
    "services#1*CSIPluginContainerInfo.Service command#2CommandInfo resources#3*Resource container#4ContainerInfo",
  CSIPluginEndpoint: "csi_service#1!CSIPluginContainerInfo.Service endpoint#2!string",
  CSIPluginInfo:
    "type#1!string name#2string containers#3*CSIPluginContainerInfo endpoints#4*CSIPluginEndpoint target_path_root#5string target_path_exists#6bool",
  CapabilityInfo: "capabilities#1*CapabilityInfo.Capability",
  CheckInfo:
    "type#1CheckInfo.Type command#2CheckInfo.Command http#3CheckInfo.Http tcp#7CheckInfo.Tcp delay_seconds#4double interval_seconds#5double timeout_seconds#6double",
  "CheckInfo.Command": "command#1!CommandInfo",
  "CheckInfo.Http": "port#1!uint32 path#2string",
  "CheckInfo.Tcp": "port#1!uint32",
  CommandInfo:
    "uris#1*CommandInfo.URI environment#2Environment shell#6bool value#3string arguments#7*string user#5string",
  "CommandInfo.URI": "value#1!string executable#2bool extract#3bool cache#4bool output_file#5string",
  ContainerID: "value#1!string parent#2ContainerID",
  ContainerInfo:
    "type#1!ContainerInfo.Type volumes#2*Volume hostname#4string docker#3ContainerInfo.DockerInfo mesos#5ContainerInfo.MesosInfo network_infos#7*NetworkInfo linux_info#8LinuxInfo rlimit_info#9RLimitInfo tty_info#10TTYInfo",
  "ContainerInfo.DockerInfo":
    "image#1!string network#2ContainerInfo.DockerInfo.Network port_mappings#3*ContainerInfo.DockerInfo.PortMapping privileged#4bool parameters#5*Parameter force_pull_image#6bool volume_driver#7string",
  "ContainerInfo.DockerInfo.PortMapping": "host_port#1!uint32 container_port#2!uint32 protocol#3string",
  "ContainerInfo.MesosInfo": "image#1Image",
  Credential: "principal#1!string secret#2string",
  DiscoveryInfo:
    "visibility#1!DiscoveryInfo.Visibility name#2string environment#3string location#4string version#5string ports#6Ports labels#7Labels",
  DurationInfo: "nanoseconds#1!int64",
  Environment: "variables#1*Environment.Variable",
  "Environment.Variable": "name#1!string type#3Environment.Variable.Type value#2string secret#4Secret",
  ExecutorID: "value#1!string",
  ExecutorInfo:
    "type#15ExecutorInfo.Type executor_id#1!ExecutorID framework_id#8FrameworkID command#7CommandInfo container#11ContainerInfo resources#5*Resource name#9string source#10string data#4bytes discovery#12DiscoveryInfo shutdown_grace_period#13DurationInfo labels#14Labels",
  Filters: "refuse_seconds#1double",
  FrameworkID: "value#1!string",
  FrameworkInfo:
    "user#1!string name#2!string id#3FrameworkID failover_timeout#4double checkpoint#5bool role#6string roles#12*string hostname#7string principal#8string webui_url#9string capabilities#10*FrameworkInfo.Capability labels#11Labels offer_filters#13map<string,OfferFilters>",
  "FrameworkInfo.Capability": "type#1FrameworkInfo.Capability.Type",
  HealthCheck:
    "delay_seconds#2double interval_seconds#3double timeout_seconds#4double consecutive_failures#5uint32 grace_period_seconds#6double type#8HealthCheck.Type command#7CommandInfo http#1HealthCheck.HTTPCheckInfo tcp#9HealthCheck.TCPCheckInfo",
  "HealthCheck.HTTPCheckInfo":
    "protocol#5NetworkInfo.Protocol scheme#3string port#1!uint32 path#2string statuses#4*uint32",
  "HealthCheck.TCPCheckInfo": "protocol#2NetworkInfo.Protocol port#1!uint32",
  Image: "type#1!Image.Type appc#2Image.Appc docker#3Image.Docker cached#4bool",
  "Image.Appc": "name#1!string id#2string labels#3Labels",
  "Image.Docker": "name#1!string credential#2Credential config#3Secret",
  KillPolicy: "grace_period#1DurationInfo",
  Label: "key#1!string value#2string",
  Labels: "labels#1*Label",
  LinuxInfo:
    "capability_info#1CapabilityInfo bounding_capabilities#2CapabilityInfo effective_capabilities#3CapabilityInfo share_pid_namespace#4bool seccomp#5SeccompInfo ipc_mode#6LinuxInfo.IpcMode shm_size#7uint32 share_cgroups#8bool",
  MachineID: "hostname#1string ip#2string",
  MountPropagation: "mode#1MountPropagation.Mode",
  NetworkInfo:
    "ip_addresses#5*NetworkInfo.IPAddress name#6string groups#3*string labels#4Labels port_mappings#7*NetworkInfo.PortMapping",
  "NetworkInfo.IPAddress": "protocol#1NetworkInfo.Protocol ip_address#2string",
  "NetworkInfo.PortMapping": "host_port#1!uint32 container_port#2!uint32 protocol#3string",
  "Offer.Operation":
    "type#1Offer.Operation.Type id#12OperationID launch#2Offer.Operation.Launch launch_group#7Offer.Operation.LaunchGroup reserve#3Offer.Operation.Reserve unreserve#4Offer.Operation.Unreserve create#5Offer.Operation.Create destroy#6Offer.Operation.Destroy grow_volume#13Offer.Operation.GrowVolume shrink_volume#14Offer.Operation.ShrinkVolume create_disk#15Offer.Operation.CreateDisk destroy_disk#16Offer.Operation.DestroyDisk",
  "Offer.Operation.Create": "volumes#1*Resource",
  "Offer.Operation.CreateDisk":
    "source#1!Resource target_type#2!Resource.DiskInfo.Source.Type target_profile#3string",
  "Offer.Operation.Destroy": "volumes#1*Resource",
  "Offer.Operation.DestroyDisk": "source#1!Resource",
  "Offer.Operation.GrowVolume": "volume#1!Resource addition#2!Resource",
  "Offer.Operation.Launch": "task_infos#1*TaskInfo",
  "Offer.Operation.LaunchGroup": "executor#1!ExecutorInfo task_group#2!TaskGroupInfo",
  "Offer.Operation.Reserve": "source#2*Resource resources#1*Resource",
  "Offer.Operation.ShrinkVolume": "volume#1!Resource subtract#2!Value.Scalar",
  "Offer.Operation.Unreserve": "resources#1*Resource",
  OfferFilters: "min_allocatable_resources#1OfferFilters.MinAllocatableResources",
  "OfferFilters.MinAllocatableResources": "quantities#1*OfferFilters.ResourceQuantities",
  "OfferFilters.ResourceQuantities": "quantities#1map<string,Value.Scalar>",
  OfferID: "value#1!string",
  OperationID: "value#1!string",
  Parameter: "key#1!string value#2!string",
  Parameters: "parameter#1*Parameter",
  Port: "number#1!uint32 name#2string protocol#3string visibility#4DiscoveryInfo.Visibility labels#5Labels",
  Ports: "ports#1*Port",
  RLimitInfo: "rlimits#1*RLimitInfo.RLimit",
  "RLimitInfo.RLimit": "type#1RLimitInfo.RLimit.Type hard#2uint64 soft#3uint64",
  Request: "agent_id#1AgentID resources#2*Resource",
  Resource:
    "provider_id#12ResourceProviderID name#1!string type#2!Value.Type scalar#3Value.Scalar ranges#4Value.Ranges set#5Value.Set role#6string allocation_info#11Resource.AllocationInfo reservation#8Resource.ReservationInfo reservations#13*Resource.ReservationInfo disk#7Resource.DiskInfo revocable#9Resource.RevocableInfo shared#10Resource.SharedInfo",
  "Resource.AllocationInfo": "role#1string",
  "Resource.DiskInfo":
    "persistence#1Resource.DiskInfo.Persistence volume#2Volume source#3Resource.DiskInfo.Source",
  "Resource.DiskInfo.Persistence": "id#1!string principal#2string",
  "Resource.DiskInfo.Source":
    "type#1!Resource.DiskInfo.Source.Type path#2Resource.DiskInfo.Source.Path mount#3Resource.DiskInfo.Source.Mount vendor#7string id#4string metadata#5Labels profile#6string",
  "Resource.DiskInfo.Source.Mount": "root#1string",
  "Resource.DiskInfo.Source.Path": "root#1string",
  "Resource.ReservationInfo":
    "type#4Resource.ReservationInfo.Type role#3string principal#1string labels#2Labels",
  "Resource.RevocableInfo": "",
  "Resource.SharedInfo": "",
  ResourceProviderID: "value#1!string",
  ResourceProviderInfo:
    "id#1ResourceProviderID attributes#2*Attribute type#3!string name#4!string default_reservations#5*Resource.ReservationInfo storage#6ResourceProviderInfo.Storage",
  "ResourceProviderInfo.Storage": "plugin#1!CSIPluginInfo reconciliation_interval_seconds#2double",
  SeccompInfo: "profile_name#1string unconfined#2bool",
  Secret: "type#1Secret.Type reference#2Secret.Reference value#3Secret.Value",
  "Secret.Reference": "name#1!string key#2string",
  "Secret.Value": "data#1!bytes",
  TTYInfo: "window_size#1TTYInfo.WindowSize",
  "TTYInfo.WindowSize": "rows#1!uint32 columns#2!uint32",
  TaskGroupInfo: "tasks#1*TaskInfo",
  TaskID: "value#1!string",
  TaskInfo:
    "name#1!string task_id#2!TaskID agent_id#3!AgentID resources#4*Resource executor#5ExecutorInfo command#7CommandInfo container#9ContainerInfo health_check#8HealthCheck check#13CheckInfo kill_policy#12KillPolicy data#6bytes labels#10Labels discovery#11DiscoveryInfo max_completion_time#14DurationInfo limits#15map<string,Value.Scalar>",
  TimeInfo: "nanoseconds#1!int64",
  Unavailability: "start#1!TimeInfo duration#2DurationInfo",
  "Value.Range": "begin#1!uint64 end#2!uint64",
  "Value.Ranges": "range#1*Value.Range",
  "Value.Scalar": "value#1!double",
  "Value.Set": "item#1*string",
  "Value.Text": "value#1!string",
  Volume: "mode#3!Volume.Mode container_path#1!string host_path#2string image#4Image source#5Volume.Source",
  "Volume.Source":
    "type#1Volume.Source.Type docker_volume#2Volume.Source.DockerVolume host_path#5Volume.Source.HostPath sandbox_path#3Volume.Source.SandboxPath secret#4Secret csi_volume#6Volume.Source.CSIVolume",
  "Volume.Source.CSIVolume":
    "plugin_name#1!string static_provisioning#2Volume.Source.CSIVolume.StaticProvisioning",
  "Volume.Source.CSIVolume.StaticProvisioning":
    "volume_id#1!string volume_capability#2!Volume.Source.CSIVolume.VolumeCapability node_stage_secrets#3map<string,Secret> node_publish_secrets#4map<string,Secret> volume_context#5map<string,string>",
  "Volume.Source.CSIVolume.VolumeCapability":
    "block#1Volume.Source.CSIVolume.VolumeCapability.BlockVolume mount#2Volume.Source.CSIVolume.VolumeCapability.MountVolume access_mode#3!Volume.Source.CSIVolume.VolumeCapability.AccessMode",
  "Volume.Source.CSIVolume.VolumeCapability.AccessMode":
    "mode#1!Volume.Source.CSIVolume.VolumeCapability.AccessMode.Mode",
  "Volume.Source.CSIVolume.VolumeCapability.BlockVolume": "",
  "Volume.Source.CSIVolume.VolumeCapability.MountVolume": "fs_type#1string mount_flags#2*string",
  "Volume.Source.DockerVolume": "driver#1string name#2!string driver_options#3Parameters",
  "Volume.Source.HostPath": "path#1!string mount_propagation#2MountPropagation",
  "Volume.Source.SandboxPath": "type#1Volume.Source.SandboxPath.Type path#2!string",
  WeightInfo: "weight#1!double role#2string",
  "agent.Call":
    "type#1agent.Call.Type get_metrics#2agent.Call.GetMetrics set_logging_level#3agent.Call.SetLoggingLevel list_files#4agent.Call.ListFiles read_file#5agent.Call.ReadFile get_containers#20agent.Call.GetContainers launch_nested_container#6agent.Call.LaunchNestedContainer wait_nested_container#7agent.Call.WaitNestedContainer kill_nested_container#8agent.Call.KillNestedContainer remove_nested_container#12agent.Call.RemoveNestedContainer launch_nested_container_session#9agent.Call.LaunchNestedContainerSession attach_container_input#10agent.Call.AttachContainerInput attach_container_output#11agent.Call.AttachContainerOutput launch_container#13agent.Call.LaunchContainer wait_container#14agent.Call.WaitContainer kill_container#15agent.Call.KillContainer remove_container#16agent.Call.RemoveContainer add_resource_provider_config#17agent.Call.AddResourceProviderConfig update_resource_provider_config#18agent.Call.UpdateResourceProviderConfig remove_resource_provider_config#19agent.Call.RemoveResourceProviderConfig mark_resource_provider_gone#22agent.Call.MarkResourceProviderGone prune_images#21agent.Call.PruneImages",
  "agent.Call.AddResourceProviderConfig": "info#1!ResourceProviderInfo",
  "agent.Call.AttachContainerInput":
    "type#1agent.Call.AttachContainerInput.Type container_id#2ContainerID process_io#3agent.ProcessIO",
  "agent.Call.AttachContainerOutput": "container_id#1!ContainerID",
  "agent.Call.GetContainers": "show_nested#1bool show_standalone#2bool",
  "agent.Call.GetMetrics": "timeout#1DurationInfo",
  "agent.Call.KillContainer": "container_id#1!ContainerID signal#2int32",
  "agent.Call.KillNestedContainer": "container_id#1!ContainerID signal#2int32",
  "agent.Call.LaunchContainer":
    "container_id#1!ContainerID command#2CommandInfo resources#3*Resource container#4ContainerInfo limits#5map<string,Value.Scalar>",
  "agent.Call.LaunchNestedContainer":
    "container_id#1!ContainerID command#2CommandInfo container#3ContainerInfo",
  "agent.Call.LaunchNestedContainerSession":
    "container_id#1!ContainerID command#2CommandInfo container#3ContainerInfo",
  "agent.Call.ListFiles": "path#1!string",
  "agent.Call.MarkResourceProviderGone": "resource_provider_id#1!ResourceProviderID",
  "agent.Call.PruneImages": "excluded_images#1*Image",
  "agent.Call.ReadFile": "path#1!string offset#2!uint64 length#3uint64",
  "agent.Call.RemoveContainer": "container_id#1!ContainerID",
  "agent.Call.RemoveNestedContainer": "container_id#1!ContainerID",
  "agent.Call.RemoveResourceProviderConfig": "type#1!string name#2!string",
  "agent.Call.SetLoggingLevel": "level#1!uint32 duration#2!DurationInfo",
  "agent.Call.UpdateResourceProviderConfig": "info#1!ResourceProviderInfo",
  "agent.Call.WaitContainer": "container_id#1!ContainerID",
  "agent.Call.WaitNestedContainer": "container_id#1!ContainerID",
  "agent.ProcessIO": "type#1agent.ProcessIO.Type data#2agent.ProcessIO.Data control#3agent.ProcessIO.Control",
  "agent.ProcessIO.Control":
    "type#1agent.ProcessIO.Control.Type tty_info#2TTYInfo heartbeat#3agent.ProcessIO.Control.Heartbeat",
  "agent.ProcessIO.Control.Heartbeat": "interval#1DurationInfo",
  "agent.ProcessIO.Data": "type#1agent.ProcessIO.Data.Type data#2bytes",
  "google.protobuf.Duration": "seconds#1int64 nanos#2int32",
  "maintenance.Schedule": "windows#1*maintenance.Window",
  "maintenance.Window": "machine_ids#1*MachineID unavailability#2!Unavailability",
  "master.Call":
    "type#1master.Call.Type get_metrics#2master.Call.GetMetrics set_logging_level#3master.Call.SetLoggingLevel list_files#4master.Call.ListFiles read_file#5master.Call.ReadFile update_weights#6master.Call.UpdateWeights reserve_resources#7master.Call.ReserveResources unreserve_resources#8master.Call.UnreserveResources create_volumes#9master.Call.CreateVolumes destroy_volumes#10master.Call.DestroyVolumes grow_volume#18master.Call.GrowVolume shrink_volume#19master.Call.ShrinkVolume update_maintenance_schedule#11master.Call.UpdateMaintenanceSchedule start_maintenance#12master.Call.StartMaintenance stop_maintenance#13master.Call.StopMaintenance drain_agent#21master.Call.DrainAgent deactivate_agent#22master.Call.DeactivateAgent reactivate_agent#23master.Call.ReactivateAgent update_quota#20master.Call.UpdateQuota teardown#16master.Call.Teardown mark_agent_gone#17master.Call.MarkAgentGone set_quota#14master.Call.SetQuota remove_quota#15master.Call.RemoveQuota",
  "master.Call.CreateVolumes": "agent_id#1!AgentID volumes#2*Resource",
  "master.Call.DeactivateAgent": "agent_id#1!AgentID",
  "master.Call.DestroyVolumes": "agent_id#1!AgentID volumes#2*Resource",
  "master.Call.DrainAgent": "agent_id#1!AgentID max_grace_period#2google.protobuf.Duration mark_gone#3bool",
  "master.Call.GetMetrics": "timeout#1DurationInfo",
  "master.Call.GrowVolume": "agent_id#1AgentID volume#2!Resource addition#3!Resource",
  "master.Call.ListFiles": "path#1!string",
  "master.Call.MarkAgentGone": "agent_id#1!AgentID",
  "master.Call.ReactivateAgent": "agent_id#1!AgentID",
  "master.Call.ReadFile": "path#1!string offset#2!uint64 length#3uint64",
  "master.Call.RemoveQuota": "role#1!string",
  "master.Call.ReserveResources": "agent_id#1!AgentID source#3*Resource resources#2*Resource",
  "master.Call.SetLoggingLevel": "level#1!uint32 duration#2!DurationInfo",
  "master.Call.SetQuota": "quota_request#1!quota.QuotaRequest",
  "master.Call.ShrinkVolume": "agent_id#1AgentID volume#2!Resource subtract#3!Value.Scalar",
  "master.Call.StartMaintenance": "machines#1*MachineID",
  "master.Call.StopMaintenance": "machines#1*MachineID",
  "master.Call.Teardown": "framework_id#1!FrameworkID",
  "master.Call.UnreserveResources": "agent_id#1!AgentID resources#2*Resource",
  "master.Call.UpdateMaintenanceSchedule": "schedule#1!maintenance.Schedule",
  "master.Call.UpdateQuota": "force#1bool quota_configs#2*quota.QuotaConfig",
  "master.Call.UpdateWeights": "weight_infos#1*WeightInfo",
  "quota.QuotaConfig": "role#1!string guarantees#2map<string,Value.Scalar> limits#3map<string,Value.Scalar>",
  "quota.QuotaRequest": "force#1bool role#2string guarantee#3*Resource",
  "scheduler.AttributeConstraint":
    "selector#1!scheduler.AttributeConstraint.Selector predicate#2!scheduler.AttributeConstraint.Predicate",
  "scheduler.AttributeConstraint.Predicate":
    "exists#1scheduler.AttributeConstraint.Predicate.Exists not_exists#2scheduler.AttributeConstraint.Predicate.NotExists text_equals#3scheduler.AttributeConstraint.Predicate.TextEquals text_not_equals#4scheduler.AttributeConstraint.Predicate.TextNotEquals text_matches#5scheduler.AttributeConstraint.Predicate.TextMatches text_not_matches#6scheduler.AttributeConstraint.Predicate.TextNotMatches",
  "scheduler.AttributeConstraint.Predicate.Exists": "",
  "scheduler.AttributeConstraint.Predicate.NotExists": "",
  "scheduler.AttributeConstraint.Predicate.TextEquals": "value#1!string",
  "scheduler.AttributeConstraint.Predicate.TextMatches": "regex#1!string",
  "scheduler.AttributeConstraint.Predicate.TextNotEquals": "value#1!string",
  "scheduler.AttributeConstraint.Predicate.TextNotMatches": "regex#1!string",
  "scheduler.AttributeConstraint.Selector":
    "pseudoattribute_type#1scheduler.AttributeConstraint.Selector.PseudoattributeType attribute_name#2string",
  "scheduler.Call":
    "framework_id#1FrameworkID type#2scheduler.Call.Type subscribe#3scheduler.Call.Subscribe accept#4scheduler.Call.Accept decline#5scheduler.Call.Decline accept_inverse_offers#13scheduler.Call.AcceptInverseOffers decline_inverse_offers#14scheduler.Call.DeclineInverseOffers revive#15scheduler.Call.Revive kill#6scheduler.Call.Kill shutdown#7scheduler.Call.Shutdown acknowledge#8scheduler.Call.Acknowledge acknowledge_operation_status#17scheduler.Call.AcknowledgeOperationStatus reconcile#9scheduler.Call.Reconcile reconcile_operations#18scheduler.Call.ReconcileOperations message#10scheduler.Call.Message request#11scheduler.Call.Request suppress#16scheduler.Call.Suppress update_framework#19scheduler.Call.UpdateFramework",
  "scheduler.Call.Accept": "offer_ids#1*OfferID operations#2*Offer.Operation filters#3Filters",
  "scheduler.Call.AcceptInverseOffers": "inverse_offer_ids#1*OfferID filters#2Filters",
  "scheduler.Call.Acknowledge": "agent_id#1!AgentID task_id#2!TaskID uuid#3!bytes",
  "scheduler.Call.AcknowledgeOperationStatus":
    "agent_id#1AgentID resource_provider_id#2ResourceProviderID uuid#3!bytes operation_id#4!OperationID",
  "scheduler.Call.Decline": "offer_ids#1*OfferID filters#2Filters",
  "scheduler.Call.DeclineInverseOffers": "inverse_offer_ids#1*OfferID filters#2Filters",
  "scheduler.Call.Kill": "task_id#1!TaskID agent_id#2AgentID kill_policy#3KillPolicy",
  "scheduler.Call.Message": "agent_id#1!AgentID executor_id#2!ExecutorID data#3!bytes",
  "scheduler.Call.Reconcile": "tasks#1*scheduler.Call.Reconcile.Task",
  "scheduler.Call.Reconcile.Task": "task_id#1!TaskID agent_id#2AgentID",
  "scheduler.Call.ReconcileOperations": "operations#1*scheduler.Call.ReconcileOperations.Operation",
  "scheduler.Call.ReconcileOperations.Operation":
    "operation_id#1!OperationID agent_id#2AgentID resource_provider_id#3ResourceProviderID",
  "scheduler.Call.Request": "requests#1*Request",
  "scheduler.Call.Revive": "roles#1*string",
  "scheduler.Call.Shutdown": "executor_id#1!ExecutorID agent_id#2!AgentID",
  "scheduler.Call.Subscribe":
    "framework_info#1!FrameworkInfo suppressed_roles#2*string offer_constraints#3scheduler.OfferConstraints",
  "scheduler.Call.Suppress": "roles#1*string",
  "scheduler.Call.UpdateFramework":
    "framework_info#1!FrameworkInfo suppressed_roles#2*string offer_constraints#3scheduler.OfferConstraints",
  "scheduler.OfferConstraints": "role_constraints#1map<string,scheduler.OfferConstraints.RoleConstraints>",
  "scheduler.OfferConstraints.RoleConstraints": "groups#1*scheduler.OfferConstraints.RoleConstraints.Group",
  "scheduler.OfferConstraints.RoleConstraints.Group": "attribute_constraints#1*scheduler.AttributeConstraint",
};
export const CALL_ENUMS: Readonly<Record<string, string>> = {
  "CSIPluginContainerInfo.Service": "UNKNOWN CONTROLLER_SERVICE NODE_SERVICE",
  "CapabilityInfo.Capability":
    "UNKNOWN CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE",
  "CheckInfo.Type": "UNKNOWN COMMAND HTTP TCP",
  "ContainerInfo.DockerInfo.Network": "HOST BRIDGE NONE USER",
  "ContainerInfo.Type": "DOCKER MESOS",
  "DiscoveryInfo.Visibility": "FRAMEWORK CLUSTER EXTERNAL",
  "Environment.Variable.Type": "UNKNOWN VALUE SECRET",
  "ExecutorInfo.Type": "UNKNOWN DEFAULT CUSTOM",
  "FrameworkInfo.Capability.Type":
    "UNKNOWN REVOCABLE_RESOURCES TASK_KILLING_STATE GPU_RESOURCES SHARED_RESOURCES PARTITION_AWARE MULTI_ROLE RESERVATION_REFINEMENT REGION_AWARE",
  "HealthCheck.Type": "UNKNOWN COMMAND HTTP TCP",
  "Image.Type": "APPC DOCKER",
  "LinuxInfo.IpcMode": "UNKNOWN PRIVATE SHARE_PARENT",
  "MountPropagation.Mode": "UNKNOWN HOST_TO_CONTAINER BIDIRECTIONAL",
  "NetworkInfo.Protocol": "IPv4 IPv6",
  "Offer.Operation.Type":
    "UNKNOWN LAUNCH LAUNCH_GROUP RESERVE UNRESERVE CREATE DESTROY GROW_VOLUME SHRINK_VOLUME CREATE_DISK DESTROY_DISK",
  "RLimitInfo.RLimit.Type":
    "UNKNOWN RLMT_AS RLMT_CORE RLMT_CPU RLMT_DATA RLMT_FSIZE RLMT_LOCKS RLMT_MEMLOCK RLMT_MSGQUEUE RLMT_NICE RLMT_NOFILE RLMT_NPROC RLMT_RSS RLMT_RTPRIO RLMT_RTTIME RLMT_SIGPENDING RLMT_STACK",
  "Resource.DiskInfo.Source.Type": "UNKNOWN PATH MOUNT BLOCK RAW",
  "Resource.ReservationInfo.Type": "UNKNOWN STATIC DYNAMIC",
  "Secret.Type": "UNKNOWN REFERENCE VALUE",
  "Value.Type": "SCALAR RANGES SET TEXT",
  "Volume.Mode": "RW RO",
  "Volume.Source.CSIVolume.VolumeCapability.AccessMode.Mode":
    "UNKNOWN SINGLE_NODE_WRITER SINGLE_NODE_READER_ONLY MULTI_NODE_READER_ONLY MULTI_NODE_SINGLE_WRITER MULTI_NODE_MULTI_WRITER",
  "Volume.Source.SandboxPath.Type": "UNKNOWN SELF PARENT",
  "Volume.Source.Type": "UNKNOWN DOCKER_VOLUME HOST_PATH SANDBOX_PATH SECRET CSI_VOLUME",
  "agent.Call.AttachContainerInput.Type": "UNKNOWN CONTAINER_ID PROCESS_IO",
  "agent.Call.Type":
    "UNKNOWN GET_HEALTH GET_FLAGS GET_VERSION GET_METRICS GET_LOGGING_LEVEL SET_LOGGING_LEVEL LIST_FILES READ_FILE GET_STATE GET_CONTAINERS GET_FRAMEWORKS GET_EXECUTORS GET_OPERATIONS GET_TASKS GET_AGENT GET_RESOURCE_PROVIDERS LAUNCH_NESTED_CONTAINER WAIT_NESTED_CONTAINER KILL_NESTED_CONTAINER REMOVE_NESTED_CONTAINER LAUNCH_NESTED_CONTAINER_SESSION ATTACH_CONTAINER_INPUT ATTACH_CONTAINER_OUTPUT LAUNCH_CONTAINER WAIT_CONTAINER KILL_CONTAINER REMOVE_CONTAINER ADD_RESOURCE_PROVIDER_CONFIG UPDATE_RESOURCE_PROVIDER_CONFIG REMOVE_RESOURCE_PROVIDER_CONFIG MARK_RESOURCE_PROVIDER_GONE PRUNE_IMAGES",
  "agent.ProcessIO.Control.Type": "UNKNOWN TTY_INFO HEARTBEAT",
  "agent.ProcessIO.Data.Type": "UNKNOWN STDIN STDOUT STDERR",
  "agent.ProcessIO.Type": "UNKNOWN DATA CONTROL",
  "master.Call.Type":
    "UNKNOWN GET_HEALTH GET_FLAGS GET_VERSION GET_METRICS GET_LOGGING_LEVEL SET_LOGGING_LEVEL LIST_FILES READ_FILE GET_STATE GET_AGENTS GET_FRAMEWORKS GET_EXECUTORS GET_OPERATIONS GET_TASKS GET_ROLES GET_WEIGHTS UPDATE_WEIGHTS GET_MASTER SUBSCRIBE RESERVE_RESOURCES UNRESERVE_RESOURCES CREATE_VOLUMES DESTROY_VOLUMES GROW_VOLUME SHRINK_VOLUME GET_MAINTENANCE_STATUS GET_MAINTENANCE_SCHEDULE UPDATE_MAINTENANCE_SCHEDULE START_MAINTENANCE STOP_MAINTENANCE DRAIN_AGENT DEACTIVATE_AGENT REACTIVATE_AGENT GET_QUOTA UPDATE_QUOTA SET_QUOTA REMOVE_QUOTA TEARDOWN MARK_AGENT_GONE",
  "scheduler.AttributeConstraint.Selector.PseudoattributeType": "UNKNOWN HOSTNAME REGION ZONE",
  "scheduler.Call.Type":
    "UNKNOWN SUBSCRIBE TEARDOWN ACCEPT DECLINE ACCEPT_INVERSE_OFFERS DECLINE_INVERSE_OFFERS REVIVE KILL SHUTDOWN ACKNOWLEDGE ACKNOWLEDGE_OPERATION_STATUS RECONCILE RECONCILE_OPERATIONS MESSAGE REQUEST SUPPRESS UPDATE_FRAMEWORK",
};

/**
 * The three Calls read with one schema: a message all of them share is read the same way in each. Their 64-bit
 * integers are kept exact, as a master keeps them, but for the port ranges and file offsets titan local computes
 * with, which never come near 2^53.
 */
export const CALL_SCHEMA = new ProtoSchema(
  CALL_MESSAGES,
  CALL_ENUMS,
  new Set(["Value.Range", "master.Call.ReadFile", "agent.Call.ReadFile"]),
);
