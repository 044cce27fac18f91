/**
 * The one error table shared by every front (docs/design.md §3, docs/protocol.md §7).
 *
 * - Control plane: always HTTP 200, `{RetCode, Action, Message}`; `status` is ignored.
 * - Data plane: HTTP `status`, `{RetCode, ErrMsg}`.
 * - S3 front: S3's XML `<Error>` with the code and status of `S3_CODES` (the S3 column, below).
 *
 * Each entry: RetCode, HTTP status on the data plane, English message, Chinese message.
 * Data-plane English messages are the exact strings the real service sends (SDKs and
 * users grep for them); Chinese ones are for humans reading logs and the README.
 */
export interface ErrorEntry {
  code: number;
  status: number;
  en: string;
  zh: string;
}

const e = (code: number, status: number, en: string, zh: string): ErrorEntry => ({ code, status, en, zh });

export const ERRORS = {
  // ── Gateway codes (UCloudDoc-Team/api summary/public.md) ──
  MissingAction: e(160, 400, "Missing required parameter Action", "缺少必选参数 Action"),
  UnknownAction: e(161, 400, "Action does not exist", "Action 不存在"),
  MissingSignature: e(170, 403, "Missing signature", "缺少签名"),
  SignatureError: e(171, 403, "Signature error", "签名错误"),
  UserNotExist: e(172, 403, "User does not exist", "用户不存在"),
  TokenNotExist: e(174, 403, "Token does not exist", "令牌不存在"),

  // ── spec 000 §24, in table order (15026 appears twice there, 15029 is missing) ──
  BucketNameTaken: e(15000, 409, "Bucket name is already taken (must be globally unique); choose another name.", "存储空间域名全局唯一，请更换名称。"),
  BucketNameInvalid: e(15001, 400, "Bucket name does not meet the naming rules.", "空间名称不符合规范，请重新输入。"),
  MissingParameter: e(15002, 400, "Missing required parameter.", "缺少必选参数，请重新输入。"),
  InvalidType: e(15003, 400, 'Invalid "Type" parameter.', '"Type" 参数错误，请重新输入。'),
  // The vendor's text is "temporarily unavailable, retry later"; here the code only ever means that the
  // operator has not finished the configuration (root keys, FILE_DOMAIN), which a retry cannot fix.
  ServiceUnavailable: e(15004, 503, "Service is not configured", "服务尚未配置完成"),
  OperationFailed5: e(15005, 500, "Operation failed; please retry later.", "操作失败，请稍后重试。"),
  OperationFailed6: e(15006, 500, "Operation failed; please retry later.", "操作失败，请稍后重试。"),
  OperationFailed7: e(15007, 500, "Operation failed; please retry later.", "操作失败，请稍后重试。"),
  DomainInvalid: e(15008, 400, "Domain name does not meet the rules.", "域名不符合规范，请重新输入。"),
  DomainExists: e(15009, 409, "Domain name already exists.", "域名已存在，请重新输入。"),
  BucketNotFound: e(15010, 404, "The requested bucket does not exist.", "请求空间不存在，请重新输入。"),
  QuotaInsufficient: e(15011, 403, "Insufficient quota; contact your account manager for a larger quota.", "您的配额不足，如需更大配额，请联系客户经理。"),
  Internal12: e(15012, 500, "Internal error; contact technical support or open a ticket.", "内部错误，请联系技术支持或提交工单。"),
  Internal13: e(15013, 500, "Internal error; contact technical support or open a ticket.", "内部错误，请联系技术支持或提交工单。"),
  BucketTooYoung: e(15014, 400, "A bucket cannot be deleted within 20 minutes of its creation.", "新建空间 20 分钟之内不可删除，请稍后重试。"),
  Internal15: e(15015, 500, "Internal error; contact technical support or open a ticket.", "内部错误，请联系技术支持或提交工单。"),
  Internal16: e(15016, 500, "Internal error; contact technical support or open a ticket.", "内部错误，请联系技术支持或提交工单。"),
  InvalidParameter: e(15017, 400, "Invalid parameter.", "参数不合法，请重新输入。"),
  ParameterOutOfRange: e(15018, 400, "Parameter out of range.", "参数超出范围，请重新输入。"),
  BalanceInsufficient: e(15019, 402, "Insufficient account balance.", "账号余额不足。"),
  Internal20: e(15020, 500, "Internal error; open a ticket or contact technical support.", "内部错误，请提交工单或联系技术支持。"),
  Internal21: e(15021, 500, "Internal error; open a ticket or contact technical support.", "内部错误，请提交工单或联系技术支持。"),
  Internal22: e(15022, 500, "Internal error; open a ticket or contact technical support.", "内部错误，请提交工单或联系技术支持。"),
  BucketNotEmpty: e(15023, 409, "Bucket is not empty and cannot be deleted.", "空间不为空，不可删除。"),
  DomainMismatch: e(15024, 400, "Domain/ID does not match the system record.", "域名 /ID 与系统记录不一致，请重新输入。"),
  DomainIdNotFound: e(15025, 404, "Domain ID does not exist.", "域名 ID 不存在，请确认或重新输入。"),
  QuotaAutoInit: e(15026, 400, "Quota will be initialised automatically after the bucket is created.", "配额将在创建空间后自动初始化。"),
  AccelerationTimeout: e(15027, 504, "Creating acceleration timed out; please retry later.", "创建加速超时，请稍后重试。"),
  ListingDisabled: e(15028, 403, "File listing is disabled; contact technical support.", "获取文件列表功能被禁用，请联系技术支持。"),
  CdnQuotaFull: e(15030, 403, "Your CDN quota is full.", "您的 CDN 配额已满。"),
  UnsupportedChannel: e(15031, 400, "Unsupported channel.", "不支持的渠道。"),
  UnbindDomainFailed: e(15032, 500, "Failed to unbind the domain.", "解绑域名失败"),
  UcdnDomainCheckFailed: e(15033, 500, "Error checking the UCDN domain.", "检查 ucdn 域名错误。"),
  DuplicatePrefix: e(15034, 409, "Duplicate prefix.", "前缀重复，请重新输入"),
  OriginRuleNotFound: e(15035, 404, "Back-to-origin rule not found.", "未找到回源规则。"),
  CdnStatusCheckFailed: e(15036, 500, "CDN status check failed.", "CDN 状态检查失败。"),
  NoPermission: e(15037, 403, "No permission for this operation.", "没有操作权限"),
  TokenLimitReached: e(15038, 403, "Token count has reached the limit.", "令牌数量达到上限"),
  StorageSpaceNotFound: e(15039, 404, "Bucket does not exist.", "存储空间不存在"),
  TokenNotFound: e(15040, 404, "Token not found.", "没有找到令牌"),
  RealNameRequired: e(15041, 403, "Account has not completed real-name verification; cannot create a bucket.", "用户未实名认证，无法创建 bucket。"),
  // Project-assigned (docs/protocol.md §3.6): US3 documents no code for an unknown LifeCycleId.
  LifeCycleNotFound: e(15042, 404, "Lifecycle rule not found.", "生命周期规则不存在。"),

  // ── Data plane, public codes (docs/protocol.md §7.2) ──
  BucketNotExist: e(-30010, 404, "bucket not exist", "空间不存在"),
  FileNotExist: e(-148654, 404, "file not exist", "文件不存在"),
  InvalidSignature: e(-148658, 403, "invalid signature", "签名无效"),
  NoAuthorization: e(-148643, 403, "no authorization found", "缺少授权信息"),
  TokenExpires: e(-148660, 403, "token expires", "签名或令牌已过期"),
  SwitchClassNotAllowed: e(-148660, 403, "switch class not allowed", "不允许转换存储类型"),
  NotRestored: e(-148671, 403, "file has not been restored", "文件尚未解冻"),
  InvalidCopySourceRange: e(-90013, 419, "invalid copy source range", "拷贝源范围无效"),

  // ── Data plane, project-assigned codes (docs/protocol.md §7.3) ──
  InvalidRequest: e(-90001, 400, "invalid request", "请求无效"),
  UserMetaTooLarge: e(-90002, 400, "user meta too large (limit 2048 bytes)", "用户自定义元数据过大（上限 2048 字节）"),
  InvalidStorageClass: e(-90003, 400, "invalid storage class", "存储类型无效"),
  ContentMd5Mismatch: e(-90004, 400, "content md5 mismatch", "Content-MD5 校验失败"),
  UploadIdNotExist: e(-90005, 404, "upload id not exist", "分片上传 ID 不存在"),
  InvalidPart: e(-90006, 400, "invalid part", "分片无效"),
  InvalidPartList: e(-90007, 400, "invalid part list", "分片列表无效"),
  TokenPermissionDenied: e(-90008, 403, "token permission denied", "令牌权限不足"),
  FileAlreadyExists: e(-90009, 409, "file already exists", "文件已存在"),
  RangeNotSatisfiable: e(-90010, 416, "range not satisfiable", "请求范围无效"),
  MalformedForm: e(-90011, 400, "malformed multipart form", "表单格式错误"),
  InternalError: e(-90012, 500, "internal error", "内部错误"),
  LengthRequired: e(-90014, 411, "content length required", "缺少 Content-Length"),
  PresignedNotAllowed: e(-90016, 403, "operation not allowed with a presigned URL", "预签名 URL 不能授权此操作"),
  RequestTimeSkewed: e(-90017, 403, "request time too skewed", "请求时间与服务器时间相差过大"),
  CallbackFailed: e(-90018, 502, "upload callback failed", "上传回调失败"),
  CallbackTimeout: e(-90019, 504, "upload callback timed out", "上传回调超时"),
  HeaderTooLarge: e(-90020, 400, "header value too large", "请求头的值过长"),
  TooManyUploads: e(-90021, 403, "too many multipart uploads in progress", "进行中的分片上传过多"),
  // A write to a key range that an operator is moving between index shards (docs/operations.md): retry shortly.
  RangeMoving: e(-90022, 503, "key range is moving, please retry later", "键范围正在迁移，请稍后重试"),
  RefererDenied: e(-90040, 403, "referer not allowed", "Referer 不在防盗链允许范围内"),
  NotConfigured: e(-90015, 503, "service not configured: ROOT_PUBLIC_KEY / ROOT_PRIVATE_KEY are not set", "服务未配置根密钥"),

  // ── S3 front only (docs/s3.md "Errors"): RetCodes project-assigned; `S3_CODES` below gives the S3 code ──
  SignatureDoesNotMatch: e(-91001, 403, "The request signature we calculated does not match the signature you provided.", "签名不匹配"),
  InvalidAccessKeyId: e(-91002, 403, "The AWS Access Key Id you provided does not exist in our records.", "访问密钥不存在"),
  RequestExpired: e(-91004, 403, "Request has expired", "预签名 URL 已过期"),
  AuthorizationHeaderMalformed: e(-91005, 400, "The authorization header is malformed.", "Authorization 头格式错误"),
  AuthorizationQueryParametersError: e(-91006, 400, "Error parsing the X-Amz-Credential parameter.", "预签名参数错误"),
  AccessDenied: e(-91007, 403, "Access Denied", "拒绝访问"),
  ContentSha256Mismatch: e(-91008, 400, "The provided 'x-amz-content-sha256' header does not match what was computed.", "x-amz-content-sha256 校验失败"),
  BadDigest: e(-91009, 400, "The checksum you specified did not match the calculated checksum.", "校验和不匹配"),
  InvalidDigest: e(-91010, 400, "The Content-MD5 you specified is not valid.", "Content-MD5 无效"),
  MalformedXML: e(-91011, 400, "The XML you provided was not well-formed or did not validate against our published schema.", "XML 格式错误"),
  InvalidArgument: e(-91012, 400, "Invalid Argument", "参数无效"),
  InvalidPartOrder: e(-91013, 400, "The list of parts was not in ascending order.", "分片列表未按升序排列"),
  EntityTooSmall: e(-91014, 400, "Your proposed upload is smaller than the minimum allowed object size.", "分片过小"),
  EntityTooLarge: e(-91015, 400, "Your proposed upload exceeds the maximum allowed object size.", "对象过大"),
  NotImplemented: e(-91016, 501, "A header or query you provided implies functionality that is not implemented.", "功能未实现"),
  PreconditionFailed: e(-91017, 412, "At least one of the preconditions you specified did not hold.", "前置条件不满足"),
  NotModified: e(-91018, 304, "Not Modified", "未修改"),
  MethodNotAllowed: e(-91019, 405, "The specified method is not allowed against this resource.", "方法不允许"),
  BucketAlreadyOwnedByYou: e(-91020, 409, "Your previous request to create the named bucket succeeded and you already own it.", "存储空间已存在且属于您"),
  IncompleteBody: e(-91021, 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.", "请求体不完整"),
  KeyTooLong: e(-91022, 400, "Your key is too long", "对象名过长"),
  MalformedPOSTRequest: e(-91023, 400, "The body of your POST request is not well-formed multipart/form-data.", "POST 表单格式错误"),
  InvalidPolicyDocument: e(-91024, 400, "The content of the form does not meet the conditions specified in the policy document.", "表单不满足上传策略"),
  InvalidBucketState: e(-91025, 409, "The request is not valid with the current state of the bucket.", "存储空间状态不允许此操作"),
  NoSuchLifecycleConfiguration: e(-91040, 404, "The lifecycle configuration does not exist", "生命周期配置不存在"),
  NoSuchCORSConfiguration: e(-91041, 404, "The CORS configuration does not exist", "CORS 配置不存在"),
  CorsForbidden: e(-91042, 403, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.", "CORS 规则不允许此请求"),
  InvalidTag: e(-91101, 400, "The tag provided was not a valid tag.", "标签无效"),
  NoSuchTagSet: e(-91102, 404, "The TagSet does not exist.", "标签集不存在"),
  InvalidEncryptionAlgorithm: e(-91103, 400, "The encryption request you specified is not valid.", "加密参数无效"),
  InvalidPartNumber: e(-91104, 416, "The requested partnumber is not satisfiable", "请求的分片号不存在"),
  ServerSideEncryptionConfigurationNotFound: e(-91120, 404, "The server side encryption configuration was not found", "存储空间未设置默认加密"),
  OwnershipControlsNotFound: e(-91121, 404, "The bucket ownership controls were not found", "存储空间未设置对象所有权"),
  AccessControlListNotSupported: e(-91122, 400, "The bucket does not allow ACLs", "存储空间不允许 ACL"),
  InvalidBucketAclWithObjectOwnership: e(-91123, 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", "对象所有权为 BucketOwnerEnforced 的存储空间不能设置 ACL"),
  UnresolvableGrantByEmailAddress: e(-91124, 400, "The email address you provided does not match any account on record.", "授权的电子邮件地址不对应任何账户"),
} as const satisfies Record<string, ErrorEntry>;

export type ErrorName = keyof typeof ERRORS;

/** Thrown anywhere in a request; turned into the plane's error format at the edge. */
export class ApiError extends Error {
  readonly entry: ErrorEntry;
  /** Extra response headers (e.g. `Content-Range` on 416). */
  readonly headers?: Record<string, string>;
  /** The detail alone (S3 messages are the detail when there is one). */
  readonly detail?: string;
  constructor(name: ErrorName, detail?: string, headers?: Record<string, string>) {
    const entry = ERRORS[name];
    // "The requested bucket does not exist: demo", not "…exist.: demo".
    super(detail ? `${entry.en.replace(/\.$/, "")}: ${detail}` : entry.en);
    this.name = name;
    this.entry = entry;
    this.headers = headers;
    this.detail = detail;
  }
}

/**
 * The S3 column of the table above (docs/s3.md "Errors"): the S3 error code of every entry, and
 * its HTTP status when S3's differs from the data plane's. The S3 renderer (src/s3/errors.ts)
 * reads only this; `satisfies Record<ErrorName, …>` makes a new entry without an S3 code a type
 * error, so the two never drift.
 */
export interface S3Code {
  code: string;
  status?: number;
}
const s3 = (code: string, status?: number): S3Code => (status === undefined ? { code } : { code, status });
const INTERNAL = s3("InternalError", 500);
const INVALID = s3("InvalidRequest", 400);

export const S3_CODES = {
  MissingAction: INVALID,
  UnknownAction: INVALID,
  MissingSignature: s3("AccessDenied", 403),
  SignatureError: s3("SignatureDoesNotMatch", 403),
  UserNotExist: s3("InvalidAccessKeyId", 403),
  TokenNotExist: s3("InvalidAccessKeyId", 403),
  BucketNameTaken: s3("BucketAlreadyExists"),
  BucketNameInvalid: s3("InvalidBucketName"),
  MissingParameter: s3("InvalidArgument"),
  InvalidType: s3("InvalidArgument"),
  ServiceUnavailable: s3("ServiceUnavailable"),
  OperationFailed5: INTERNAL,
  OperationFailed6: INTERNAL,
  OperationFailed7: INTERNAL,
  DomainInvalid: INVALID,
  DomainExists: s3("InvalidRequest", 409),
  BucketNotFound: s3("NoSuchBucket"),
  QuotaInsufficient: s3("AccessDenied"),
  Internal12: INTERNAL,
  Internal13: INTERNAL,
  BucketTooYoung: s3("InvalidBucketState", 409),
  Internal15: INTERNAL,
  Internal16: INTERNAL,
  InvalidParameter: s3("InvalidArgument"),
  ParameterOutOfRange: s3("InvalidArgument"),
  BalanceInsufficient: s3("AccessDenied", 403),
  Internal20: INTERNAL,
  Internal21: INTERNAL,
  Internal22: INTERNAL,
  BucketNotEmpty: s3("BucketNotEmpty"),
  DomainMismatch: INVALID,
  DomainIdNotFound: s3("InvalidRequest", 400),
  QuotaAutoInit: INVALID,
  AccelerationTimeout: s3("ServiceUnavailable", 503),
  ListingDisabled: s3("AccessDenied"),
  CdnQuotaFull: s3("AccessDenied"),
  UnsupportedChannel: INVALID,
  UnbindDomainFailed: INTERNAL,
  UcdnDomainCheckFailed: INTERNAL,
  DuplicatePrefix: s3("InvalidRequest", 400),
  OriginRuleNotFound: s3("InvalidRequest", 400),
  CdnStatusCheckFailed: INTERNAL,
  NoPermission: s3("AccessDenied"),
  TokenLimitReached: s3("AccessDenied"),
  StorageSpaceNotFound: s3("NoSuchBucket"),
  TokenNotFound: s3("InvalidAccessKeyId", 403),
  RealNameRequired: s3("AccessDenied"),
  LifeCycleNotFound: s3("NoSuchLifecycleConfiguration", 404),
  BucketNotExist: s3("NoSuchBucket"),
  FileNotExist: s3("NoSuchKey"),
  InvalidSignature: s3("SignatureDoesNotMatch"),
  NoAuthorization: s3("AccessDenied"),
  TokenExpires: s3("AccessDenied"),
  SwitchClassNotAllowed: s3("AccessDenied"),
  NotRestored: s3("InvalidObjectState"),
  InvalidCopySourceRange: s3("InvalidArgument", 400),
  InvalidRequest: INVALID,
  UserMetaTooLarge: s3("MetadataTooLarge"),
  InvalidStorageClass: s3("InvalidStorageClass"),
  ContentMd5Mismatch: s3("BadDigest"),
  UploadIdNotExist: s3("NoSuchUpload"),
  InvalidPart: s3("InvalidPart"),
  InvalidPartList: s3("InvalidPart"),
  TokenPermissionDenied: s3("AccessDenied"),
  FileAlreadyExists: s3("PreconditionFailed", 412),
  RangeNotSatisfiable: s3("InvalidRange"),
  MalformedForm: s3("MalformedPOSTRequest"),
  InternalError: INTERNAL,
  LengthRequired: s3("MissingContentLength"),
  NotConfigured: s3("ServiceUnavailable"),
  HeaderTooLarge: s3("InvalidArgument"),
  // AWS has no such limit, so no code: named like its TooManyBuckets (400).
  TooManyUploads: s3("TooManyUploads", 400),
  RangeMoving: s3("SlowDown", 503),
  RefererDenied: s3("AccessDenied"),
  SignatureDoesNotMatch: s3("SignatureDoesNotMatch"),
  InvalidAccessKeyId: s3("InvalidAccessKeyId"),
  PresignedNotAllowed: s3("AccessDenied"),
  CallbackFailed: s3("InternalError"),
  CallbackTimeout: s3("InternalError"),
  RequestTimeSkewed: s3("RequestTimeTooSkewed"),
  RequestExpired: s3("AccessDenied"),
  AuthorizationHeaderMalformed: s3("AuthorizationHeaderMalformed"),
  AuthorizationQueryParametersError: s3("AuthorizationQueryParametersError"),
  AccessDenied: s3("AccessDenied"),
  ContentSha256Mismatch: s3("XAmzContentSHA256Mismatch"),
  BadDigest: s3("BadDigest"),
  InvalidDigest: s3("InvalidDigest"),
  MalformedXML: s3("MalformedXML"),
  InvalidArgument: s3("InvalidArgument"),
  InvalidPartOrder: s3("InvalidPartOrder"),
  EntityTooSmall: s3("EntityTooSmall"),
  EntityTooLarge: s3("EntityTooLarge"),
  NotImplemented: s3("NotImplemented"),
  PreconditionFailed: s3("PreconditionFailed"),
  NotModified: s3("NotModified"),
  MethodNotAllowed: s3("MethodNotAllowed"),
  BucketAlreadyOwnedByYou: s3("BucketAlreadyOwnedByYou"),
  IncompleteBody: s3("IncompleteBody"),
  KeyTooLong: s3("KeyTooLongError"),
  MalformedPOSTRequest: s3("MalformedPOSTRequest"),
  InvalidPolicyDocument: s3("InvalidPolicyDocument"),
  InvalidBucketState: s3("InvalidBucketState"),
  NoSuchLifecycleConfiguration: s3("NoSuchLifecycleConfiguration"),
  NoSuchCORSConfiguration: s3("NoSuchCORSConfiguration"),
  CorsForbidden: s3("AccessForbidden"),
  InvalidTag: s3("InvalidTag"),
  NoSuchTagSet: s3("NoSuchTagSet"),
  InvalidEncryptionAlgorithm: s3("InvalidEncryptionAlgorithmError"),
  InvalidPartNumber: s3("InvalidPartNumber"),
  ServerSideEncryptionConfigurationNotFound: s3("ServerSideEncryptionConfigurationNotFoundError"),
  OwnershipControlsNotFound: s3("OwnershipControlsNotFoundError"),
  AccessControlListNotSupported: s3("AccessControlListNotSupported"),
  InvalidBucketAclWithObjectOwnership: s3("InvalidBucketAclWithObjectOwnership"),
  UnresolvableGrantByEmailAddress: s3("UnresolvableGrantByEmailAddress"),
} as const satisfies Record<ErrorName, S3Code>;

export const fail = (name: ErrorName, detail?: string, headers?: Record<string, string>): never => {
  throw new ApiError(name, detail, headers);
};
